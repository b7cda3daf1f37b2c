// `atelier-cli audit verify [--json]`, `audit export` and `audit reanchor` (CLI.md "Agents"):
// walk the audit log's hash chain in the data folder and check it against its anchor and the
// heads the team runs recorded, write it as JSON Lines, or accept it as it is with a new anchor.

#include <iostream>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/agents/audit_log.h"
#include "atelier/agents/data_paths.h"
#include "atelier/agents/session_store.h"
#include "cli/cli_context.h"

namespace atelier::cli {
namespace {

// Opens the audit log of the data folder; a missing file reads as an empty log.
Result<agents::AuditLog> openLog(CliContext& ctx) {
    const auto dir = ctx.dataDir();
    if (dir.empty()) return unexpected(Error::io("no data folder"));
    return agents::AuditLog::open(agents::DataPaths{dir}.auditDb());
}

// The audit heads that the data folder's team runs recorded when they finished, as claims
// for AuditLog::verify (with their run ids, in the same order). No sessions database: none.
struct RunClaims {
    std::vector<agents::AuditHeadClaim> claims;
    std::vector<std::int64_t> runIds;
};
Result<RunClaims> runClaims(CliContext& ctx, std::optional<agents::SessionStore>& store) {
    RunClaims out;
    const auto file = agents::DataPaths{ctx.dataDir()}.sessionsDb();
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return out;
    auto opened = agents::SessionStore::open(file);
    if (!opened) return unexpected(opened.error());
    store.emplace(std::move(*opened));
    auto runs = store->auditedRuns();
    if (!runs) return unexpected(runs.error());
    out.claims = agents::SessionStore::auditClaims(*runs);
    for (const auto& r : *runs) out.runIds.push_back(r.id);
    return out;
}

int runVerify(CliContext& ctx) {
    auto log = openLog(ctx);
    if (!log) return ctx.fail(log.error());
    std::optional<agents::SessionStore> store;
    auto runs = runClaims(ctx, store);
    if (!runs) return ctx.fail(runs.error());
    auto v = log->verify(runs->claims);
    if (!v) return ctx.fail(v.error());
    if (ctx.options.json) {
        nlohmann::json out = {{"records", v->records}, {"ok", v->ok()}, {"head", v->headHash}};
        out["first_broken_seq"] = v->brokenSeq ? nlohmann::json(*v->brokenSeq) : nlohmann::json(nullptr);
        if (!v->ok()) out["reason"] = v->reason;
        out["anchor"] = v->anchor ? nlohmann::json{{"records", v->anchor->records},
                                                   {"head", v->anchor->head},
                                                   {"legacy_records", v->anchor->legacyRecords}}
                                  : nlohmann::json(nullptr);
        out["unanchored"] = v->unanchored;
        out["runs_checked"] = runs->claims.size();
        nlohmann::json claims = nlohmann::json::array();
        for (const auto& f : v->claimFailures)
            claims.push_back({{"run_id", runs->runIds[f.claim]}, {"seq", f.seq}, {"reason", f.reason}});
        out["run_failures"] = claims;
        std::cout << out.dump() << std::endl;
    } else if (v->ok()) {
        std::cout << v->records << " records, chain intact and anchored (head " << v->headHash << ")";
        if (!runs->claims.empty()) std::cout << "; holds the heads of " << runs->claims.size() << " runs";
        std::cout << "\n";
        if (v->unanchored > 0)
            std::cout << v->unanchored << " newest records are past the anchor (an append that "
                      << "stopped before updating it)\n";
        if (v->anchor && v->anchor->legacyRecords > 0)
            std::cout << "records 1-" << v->anchor->legacyRecords
                      << " predate stored-bytes hashing: their hashes cover re-serialized JSON\n";
    } else {
        std::cout << v->records << " records, first broken link at seq " << *v->brokenSeq << ": "
                  << v->reason << "\n";
        for (const auto& f : v->claimFailures)
            if (f.reason != v->reason) std::cout << f.reason << "\n";
    }
    if (!v->ok()) {
        std::cerr << "atelier-cli: error: audit log broken at seq " << *v->brokenSeq << std::endl;
        return kExitBadInput;
    }
    return kExitOk;
}

int runReanchor(CliContext& ctx) {
    auto log = openLog(ctx);
    if (!log) return ctx.fail(log.error());
    auto a = log->reanchor();
    if (!a) return ctx.fail(a.error());
    std::cout << "anchored at " << a->records << " records (head " << a->head << ")\n";
    // Accepting the log also accepts that the runs whose heads it no longer holds lost them.
    std::optional<agents::SessionStore> store;
    auto runs = runClaims(ctx, store);
    if (!runs) return ctx.fail(runs.error());
    auto failures = log->checkClaims(runs->claims);
    if (!failures) return ctx.fail(failures.error());
    for (const auto& f : *failures) {
        if (auto r = store->clearRunAudit(runs->runIds[f.claim]); !r) return ctx.fail(r.error());
        std::cout << "forgot the audit head of " << runs->claims[f.claim].owner << ": " << f.reason << "\n";
    }
    return kExitOk;
}

int runExport(CliContext& ctx) {
    auto log = openLog(ctx);
    if (!log) return ctx.fail(log.error());
    auto done = log->forEach([](const agents::AuditRecord& r) {
        std::cout << r.toJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    });
    if (!done) return ctx.fail(done.error());
    std::cout.flush();
    return kExitOk;
}

void setupAudit(CLI::App& root, CliContext& ctx) {
    auto* audit = root.add_subcommand("audit", "Check and export the audit log");
    audit->require_subcommand(1);
    auto* verify = audit->add_subcommand(
        "verify",
        "Walk the hash chain and check it against its anchor and the runs' recorded heads; "
        "exit 3 when broken or cut short");
    addJsonFlag(verify, ctx);
    onRun(verify, ctx, [&ctx] { return runVerify(ctx); });
    auto* exp = audit->add_subcommand("export", "Write every record as JSON Lines");
    onRun(exp, ctx, [&ctx] { return runExport(ctx); });
    auto* reanchor = audit->add_subcommand(
        "reanchor",
        "Accept the log as it is: anchor its current head (the chain must be intact) and forget run "
        "heads it lacks");
    onRun(reanchor, ctx, [&ctx] { return runReanchor(ctx); });
}

}  // namespace
ATELIER_CLI_COMMAND("audit", setupAudit);
}  // namespace atelier::cli
