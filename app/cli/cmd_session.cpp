// `atelier-cli session list|show ID|export ID --format md|json|import FILE|search QUERY|
// delete ID`: the sessions in <data-dir>/atelier.db (CLI.md "Agents").

#include <algorithm>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "atelier/agents/data_paths.h"
#include "atelier/agents/session_export.h"
#include "atelier/agents/session_store.h"
#include "cli/cli_context.h"

namespace atelier::cli {
namespace {

using agents::SessionStore;

struct SessionOptions {
    std::int64_t id = 0;
    std::string format = "md";
    std::string out;
    std::string file;
    std::string query;
    int limit = 20;
};

std::string utcMinute(std::int64_t ms) {
    const std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    return buf;
}

// Runs `fn(store)` on the data folder's sessions database; errors become exit codes.
int withStore(CliContext& ctx, const std::function<int(SessionStore&)>& fn) {
    const auto dir = ctx.dataDir();
    if (dir.empty()) return kExitFailure;
    auto store = SessionStore::open(agents::DataPaths{dir}.sessionsDb());
    if (!store) return ctx.fail(store.error());
    return fn(*store);
}

// Writes `text` to `out` (via a temporary and a rename) or, when `out` is empty, to stdout.
int emit(CliContext& ctx, const std::string& text, const std::string& out) {
    if (out.empty()) {
        std::cout << text;
        if (!text.empty() && text.back() != '\n') std::cout << '\n';
        return kExitOk;
    }
    const std::string tmp = out + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f << text;
        if (!f.flush()) return ctx.fail(ErrorCode::Io, "cannot write '" + tmp + "'");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, out, ec);
    if (ec) return ctx.fail(ErrorCode::Io, "cannot rename '" + tmp + "' to '" + out + "': " + ec.message());
    return kExitOk;
}

int list(CliContext& ctx, SessionStore& store) {
    auto sessions = store.listSessions();
    if (!sessions) return ctx.fail(sessions.error());
    if (ctx.options.json) {
        auto arr = nlohmann::json::array();
        for (const auto& [s, count] : *sessions)
            arr.push_back({{"id", s.id}, {"title", s.title}, {"kind", agents::toString(s.kind)},
                           {"created_ms", s.createdMs}, {"updated_ms", s.updatedMs},
                           {"folder", s.folder}, {"favourite", s.favourite}, {"model", s.model},
                           {"messages", count}});
        std::cout << nlohmann::json{{"sessions", arr}}.dump(-1, ' ', false,
                                                            nlohmann::json::error_handler_t::replace)
                  << std::endl;
        return kExitOk;
    }
    std::cout << fmt::format("{:>6}  {:<16}  {:<4}  {:>5}  {}\n", "ID", "UPDATED (UTC)", "KIND",
                             "MSGS", "TITLE");
    for (const auto& [s, count] : *sessions)
        std::cout << fmt::format("{:>6}  {:<16}  {:<4}  {:>5}  {}{}\n", s.id, utcMinute(s.updatedMs),
                                 agents::toString(s.kind), count, s.favourite ? "★ " : "",
                                 s.title.empty() ? "(untitled)" : s.title);
    return kExitOk;
}

int exportSession(CliContext& ctx, SessionStore& store, const SessionOptions& o, bool json) {
    auto record = store.load(o.id);
    if (!record) return ctx.fail(record.error());
    return emit(ctx, json ? agents::sessionToJson(*record) : agents::sessionToMarkdown(*record), o.out);
}

int importSession(CliContext& ctx, SessionStore& store, const SessionOptions& o) {
    std::ifstream in(o.file, std::ios::binary);
    if (!in) return ctx.fail(ErrorCode::BadInput, "cannot read '" + o.file + "'");
    std::stringstream text;
    text << in.rdbuf();
    auto record = agents::sessionFromJson(text.str());
    if (!record) return ctx.fail(ErrorCode::BadInput, o.file + ": " + record.error().message);
    auto id = store.insert(*record);
    if (!id) return ctx.fail(id.error());
    if (ctx.options.json)
        std::cout << nlohmann::json{{"id", *id}}.dump() << std::endl;
    else
        std::cout << *id << std::endl;
    return kExitOk;
}

int search(CliContext& ctx, SessionStore& store, const SessionOptions& o) {
    auto hits = store.search(o.query, o.limit);
    if (!hits) return ctx.fail(hits.error());
    if (ctx.options.json) {
        auto arr = nlohmann::json::array();
        for (const auto& h : *hits)
            arr.push_back({{"session", h.sessionId}, {"message", h.messageId},
                           {"title", h.sessionTitle}, {"snippet", h.snippet}});
        std::cout << nlohmann::json{{"hits", arr}}.dump(-1, ' ', false,
                                                        nlohmann::json::error_handler_t::replace)
                  << std::endl;
        return kExitOk;
    }
    for (auto h : *hits) {
        std::replace(h.snippet.begin(), h.snippet.end(), '\n', ' ');
        std::cout << fmt::format("{}#{}  {}: {}\n", h.sessionId, h.messageId, h.sessionTitle, h.snippet);
    }
    return kExitOk;
}

void setupSession(CLI::App& root, CliContext& ctx) {
    static SessionOptions o;
    auto* session = root.add_subcommand("session", "List, show, export, import and search sessions");
    session->require_subcommand(1);

    auto* listCmd = session->add_subcommand("list", "List the sessions, most recent first");
    addJsonFlag(listCmd, ctx);
    onRun(listCmd, ctx, [&ctx] { return withStore(ctx, [&](SessionStore& s) { return list(ctx, s); }); });

    auto* show = session->add_subcommand("show", "Print a session (Markdown, or JSON with --json)");
    show->add_option("ID", o.id, "Session id")->required();
    addJsonFlag(show, ctx);
    onRun(show, ctx, [&ctx] {
        return withStore(ctx, [&](SessionStore& s) { return exportSession(ctx, s, o, ctx.options.json); });
    });

    auto* exp = session->add_subcommand("export", "Export a session as Markdown or JSON");
    exp->add_option("ID", o.id, "Session id")->required();
    exp->add_option("--format", o.format, "md (readable) or json (complete, re-importable)")
        ->check(CLI::IsMember({"md", "json"}));
    exp->add_option("--out", o.out, "Write to this file instead of stdout");
    onRun(exp, ctx, [&ctx] {
        return withStore(ctx, [&](SessionStore& s) { return exportSession(ctx, s, o, o.format == "json"); });
    });

    auto* imp = session->add_subcommand("import", "Import a session exported with --format json");
    imp->add_option("FILE", o.file, "The JSON file")->required();
    addJsonFlag(imp, ctx);
    onRun(imp, ctx, [&ctx] { return withStore(ctx, [&](SessionStore& s) { return importSession(ctx, s, o); }); });

    auto* find = session->add_subcommand("search", "Full-text search over every message");
    find->add_option("QUERY", o.query, "Words to find (a trailing * matches a prefix)")->required();
    find->add_option("--limit", o.limit, "At most this many hits")->check(CLI::PositiveNumber);
    addJsonFlag(find, ctx);
    onRun(find, ctx, [&ctx] { return withStore(ctx, [&](SessionStore& s) { return search(ctx, s, o); }); });

    auto* del = session->add_subcommand("delete", "Delete a session with its messages and runs");
    del->add_option("ID", o.id, "Session id")->required();
    onRun(del, ctx, [&ctx] {
        return withStore(ctx, [&](SessionStore& s) {
            auto r = s.deleteSession(o.id);
            return r ? kExitOk : ctx.fail(r.error());
        });
    });
}

}  // namespace
ATELIER_CLI_COMMAND("session", setupSession);
}  // namespace atelier::cli
