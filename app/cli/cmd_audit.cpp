// `atelier-cli audit verify [--json]`, `audit export` and `audit reanchor` (CLI.md "Agents"):
// walk the audit log's hash chain in the data folder and check it against its anchor, write it
// as JSON Lines, or accept it as it is with a new anchor.

#include <iostream>

#include <nlohmann/json.hpp>

#include "atelier/agents/audit_log.h"
#include "atelier/agents/data_paths.h"
#include "cli/cli_context.h"

namespace atelier::cli {
namespace {

// Opens the audit log of the data folder; a missing file reads as an empty log.
Result<agents::AuditLog> openLog(CliContext& ctx) {
    const auto dir = ctx.dataDir();
    if (dir.empty()) return unexpected(Error::io("no data folder"));
    return agents::AuditLog::open(agents::DataPaths{dir}.auditDb());
}

int runVerify(CliContext& ctx) {
    auto log = openLog(ctx);
    if (!log) return ctx.fail(log.error());
    auto v = log->verify();
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
        std::cout << out.dump() << std::endl;
    } else if (v->ok()) {
        std::cout << v->records << " records, chain intact and anchored (head " << v->headHash << ")\n";
        if (v->unanchored > 0)
            std::cout << v->unanchored << " newest records are past the anchor (an append that "
                      << "stopped before updating it)\n";
        if (v->anchor && v->anchor->legacyRecords > 0)
            std::cout << "records 1-" << v->anchor->legacyRecords
                      << " predate stored-bytes hashing: their hashes cover re-serialized JSON\n";
    } else {
        std::cout << v->records << " records, first broken link at seq " << *v->brokenSeq << ": "
                  << v->reason << "\n";
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

void setup(CLI::App& root, CliContext& ctx) {
    auto* audit = root.add_subcommand("audit", "Check and export the audit log");
    audit->require_subcommand(1);
    auto* verify = audit->add_subcommand(
        "verify", "Walk the hash chain and check it against its anchor; exit 3 when broken or cut short");
    addJsonFlag(verify, ctx);
    onRun(verify, ctx, [&ctx] { return runVerify(ctx); });
    auto* exp = audit->add_subcommand("export", "Write every record as JSON Lines");
    onRun(exp, ctx, [&ctx] { return runExport(ctx); });
    auto* reanchor = audit->add_subcommand(
        "reanchor", "Accept the log as it is: anchor its current head (the chain must be intact)");
    onRun(reanchor, ctx, [&ctx] { return runReanchor(ctx); });
}

}  // namespace
ATELIER_CLI_COMMAND("audit", setup);
}  // namespace atelier::cli
