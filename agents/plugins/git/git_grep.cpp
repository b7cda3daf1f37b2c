// git_grep: lines matching a regex in the files of a revision's tree (paged with `offset`).
// Binary and oversized blobs, and files the policy denies, are skipped.

#include <optional>

#include "atelier/agents/bounded_regex.h"
#include "atelier/base/utf8.h"
#include "git_repo.h"
#include "git_text.h"
#include "git_tools.h"

namespace atelier::agents::git {
namespace {

struct GrepWalk {
    const OpenedRepo* repo = nullptr;
    const ToolContext* ctx = nullptr;
    const BoundedRegex* regex = nullptr;
    std::optional<Error> error;  // a pattern too costly on some line, or the call's deadline
    std::string prefix;
    int skip = 0;
    int matched = 0;
    bool more = false;
    const git_oid* commit = nullptr;
    ToolResult* result = nullptr;
    nlohmann::json hits = nlohmann::json::array();
    std::size_t bytes = 0;

    // Greps one blob; returns false to stop the walk.
    bool grepBlob(const std::string& path, const git_oid* id) {
        git_blob* raw = nullptr;
        if (git_blob_lookup(&raw, repo->repo.get(), id) != 0) return true;
        BlobPtr blob(raw);
        if (git_blob_rawsize(raw) > git_object_size_t(kMaxGrepBlobBytes)) return true;
        const std::string_view data(static_cast<const char*>(git_blob_rawcontent(raw)), std::size_t(git_blob_rawsize(raw)));
        if (looksBinary(data)) return true;
        const auto lines = splitLines(data);
        bool allowed = false;
        for (std::size_t i = 0; i < lines.size(); ++i) {
            if (i % 256 == 0 && ctx->expired()) {
                error = Error{ErrorCode::Overflow, "git_grep stopped at its deadline in " + path + " line " +
                                                       std::to_string(i + 1) + "; narrow it with `path`"};
                return false;
            }
            auto hit = regex->search(lines[i]);
            if (!hit) {
                error = Error{hit.error().code, path + ":" + std::to_string(i + 1) + ": " + hit.error().message};
                return false;
            }
            if (!*hit) continue;
            // The policy is asked only for files with a hit: one audited decision per file
            // shown, not per file searched. A denied file is skipped silently.
            if (!allowed && !checkTreePath(*repo, path, *ctx)) return true;
            allowed = true;
            if (matched++ < skip) continue;
            if (int(hits.size()) == kMaxGrepHits || bytes > kMaxResultBytes - 2048) {
                more = true;
                return false;
            }
            std::string text = base::validUtf8(base::truncateUtf8(lines[i], 300));
            const int line = int(i + 1);
            result->text += path + ":" + std::to_string(line) + ": " + text + "\n";
            bytes += path.size() + text.size() + 10;
            hits.push_back({{"path", path}, {"line", line}, {"text", text}});
            result->sources.push_back(gitSource(*repo, commit, path, line, line));
        }
        return true;
    }
};

int visit(const char* root, const git_tree_entry* entry, void* payload) {
    auto* w = static_cast<GrepWalk*>(payload);
    if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) return 0;
    const std::string path = base::validUtf8(std::string(root) + git_tree_entry_name(entry));
    if (!w->prefix.empty() && path != w->prefix && !path.starts_with(w->prefix + "/")) return 0;
    return w->grepBlob(path, git_tree_entry_id(entry)) ? 0 : -1;
}

class GitGrep final : public Tool {
public:
    std::string name() const override { return "git_grep"; }
    std::string description() const override {
        return "Search the files of a revision for lines matching a regex (PCRE); hits with path "
               "and line, at most 100 per call.";
    }
    nlohmann::json parameters() const override {
        auto str = [](const char* d) { return nlohmann::json{{"type", "string"}, {"description", d}}; };
        return {{"type", "object"},
                {"properties",
                 {{"repo", str("Repository folder (default: the workspace)")},
                  {"pattern", str("Regular expression (PCRE)")},
                  {"rev", str("Revision (default HEAD)")},
                  {"path", str("Only files under this path (relative to the repository)")},
                  {"ignore_case", {{"type", "boolean"}}},
                  {"offset", {{"type", "integer"}, {"minimum", 0}, {"description", "Hits to skip (paging)"}}}}},
                {"required", {"pattern"}},
                {"additionalProperties", false}};
    }
    std::uint32_t capabilities() const override { return std::uint32_t(Capability::ReadFiles); }

    Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const override {
        GitLibrary lib;
        auto repo = openRepo(args, ctx);
        if (!repo) return unexpected(repo.error());
        auto regex = BoundedRegex::compile(args.at("pattern").get<std::string>(),
                                           args.value("ignore_case", false) ? PCRE2_CASELESS : 0);
        if (!regex) return unexpected(regex.error());
        auto commit = resolveCommit(repo->repo.get(), args.value("rev", std::string("HEAD")));
        if (!commit) return unexpected(commit.error());
        git_tree* rawTree = nullptr;
        if (git_commit_tree(&rawTree, commit->get()) != 0) return unexpected(gitError("cannot read the tree"));
        TreePtr tree(rawTree);

        ToolResult r;
        GrepWalk w;
        w.repo = &*repo;
        w.ctx = &ctx;
        w.regex = &*regex;
        w.prefix = args.value("path", std::string());
        while (w.prefix.ends_with('/')) w.prefix.pop_back();
        w.skip = args.value("offset", 0);
        w.commit = git_commit_id(commit->get());
        w.result = &r;
        const int rc = git_tree_walk(rawTree, GIT_TREEWALK_PRE, &visit, &w);
        if (w.error) return unexpected(*w.error);
        if (rc != 0 && rc != GIT_EUSER && !w.more) return unexpected(gitError("cannot walk the tree"));
        if (w.hits.empty()) r.text = "(no matches)\n";
        r.data = {{"repo", repo->shown}, {"commit", oidHex(w.commit)}, {"hits", w.hits}};
        if (w.more) {
            r.truncated = true;
            r.next = args;
            r.next["offset"] = w.skip + int(w.hits.size());
            r.text += "[more hits: continue with offset " + std::to_string(w.skip + int(w.hits.size())) + "]\n";
        }
        return r;
    }
};

}  // namespace

std::unique_ptr<Tool> makeGitGrep() { return std::make_unique<GitGrep>(); }

}  // namespace atelier::agents::git
