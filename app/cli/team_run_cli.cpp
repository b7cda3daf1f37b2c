// `atelier-cli team run TEAM (--model PATH | --remote URL --allow-host H) --workspace DIR
// --task TEXT [--approve auto|deny]
// [--json] [--resume RUN_ID]` and `atelier-cli team replay RUN_ID [--json]`. An agent may name
// its own backend in the team file (`backend: local`, or a server whose host must be on
// --allow-host; docs/cli.md "Per-agent backends"). With --json, one
// JSON line per event (team_event.h); otherwise a readable line per event. The exit status is
// 0 whenever the run ends with its done event (the status is in it), 1 when it cannot run or
// persist, 3 for a bad team or arguments. Ctrl-C cancels the run; it can be resumed.

#include "cli/team_run_cli.h"

#include <atomic>
#include <cmath>
#include <csignal>
#include <iostream>
#include <mutex>
#include <thread>

#include "atelier/agents/audit_log.h"
#include "atelier/agents/data_paths.h"
#include "atelier/agents/dsml_constraints.h"
#include "atelier/agents/backend_agent_model.h"
#include "atelier/agents/routed_agent_model.h"
#include "atelier/agents/team_runtime.h"
#include "cli/generation_cli.h"
#include "cli/remote_cli.h"
#include "cli/tool_plugins.h"

namespace atelier::cli {
namespace {

namespace fs = std::filesystem;

struct RunArgs {
    GenerationArgs gen;
    RemoteArgs remote;
    std::string team;
    std::string workspace;
    std::string task;
    std::string approve;
    std::int64_t resume = 0;
    std::int64_t tokenBudget = 0;
    bool firstCall = false;
    std::size_t maxArgChars = 1024;
    std::size_t maxCalls = 16;
    std::string mcpConfig;
};

std::atomic<bool> gInterrupted{false};
extern "C" void onInterrupt(int) { gInterrupted = true; }

std::string shorten(std::string s, std::size_t n = 160) {
    if (s.size() > n) s = s.substr(0, n) + "...";
    for (auto& c : s)
        if (c == '\n') c = ' ';
    return s;
}

// A progress figure as a person writes it: 2, not 2.0.
std::string number(const nlohmann::json& v) {
    if (v.is_number_float() && std::nearbyint(v.get<double>()) == v.get<double>() && std::abs(v.get<double>()) < 1e15)
        return std::to_string(static_cast<long long>(v.get<double>()));
    return v.dump();
}

void printEvent(const agents::TeamEvent& e, bool json) {
    if (json) {
        std::cout << e.toJsonLine() << std::endl;
        return;
    }
    const auto& j = e.json;
    const std::string kind = j.value("event", "");
    if (kind == "step")
        std::cout << "[" << e.agent() << "] step " << j.value("step", 0) << ": " << shorten(j.value("content", "")) << "\n";
    else if (kind == "tool_call")
        std::cout << "[" << e.agent() << "] " << j.value("tool", "") << " " << shorten(j["args"].dump()) << " -> "
                  << j.value("decision", "") << (j.contains("approval") ? " " + j.value("approval", "") : "") << "\n";
    else if (kind == "tool_result")
        std::cout << "[" << e.agent() << "] " << j.value("tool", "") << (j.value("ok", false) ? " ok: " : " error: ")
                  << shorten(j.value(j.value("ok", false) ? "result" : "error", "")) << "\n";
    else if (kind == "delegate")
        std::cout << "[" << j.value("from", "") << "] delegates to " << j.value("to", "") << ": "
                  << shorten(j.value("task", "")) << "\n";
    else if (kind == "done")
        std::cout << "done (" << j.value("status", "") << "): " << j.value("report", "") << "\n";
    else if (kind == "tool_progress")
        std::cout << "[" << e.agent() << "] " << j.value("tool", "") << " progress " << number(j["progress"])
                  << (j.contains("total") ? "/" + number(j["total"]) : "")
                  << (j.contains("message") ? ": " + shorten(j.value("message", "")) : "") << "\n";
    std::cout.flush();
}

// Where a run's turns go. The agents that name no backend run on the run's default (--model,
// or --remote); `backend: local` on the local model (loaded only when some agent runs on it);
// a server the team file names on its own RemoteChatBackend, under --allow-host. Members are
// destroyed in reverse order: the routed model before the backends it uses.
struct TeamBackends {
    TurnBackend local;
    TurnBackend remote;  // --remote's
    engine::ChatMode mode = engine::ChatMode::Chat;
    std::shared_ptr<agents::RoutedAgentModel> model;
};

Result<TeamBackends> openTeamBackends(CliContext& ctx, const RunArgs& a, const agents::Team& team,
                                      agents::AuditLog& audit) {
    const agents::AgentSpec* wantsLocal = nullptr;
    bool usesDefault = false;
    for (const auto* spec : team.agents()) {
        if (spec->backend.kind == agents::BackendKind::Local && !wantsLocal) wantsLocal = spec;
        usesDefault |= spec->backend.kind == agents::BackendKind::Default;
    }
    const bool defaultIsRemote = !a.remote.url.empty();
    // --remote serves only the agents without a backend key: when there are none it would be
    // silently unused, so the run is refused instead (docs/cli.md "Per-agent backends").
    if (defaultIsRemote && !usesDefault)
        return unexpected(Error::usage("--remote " + a.remote.url + " would not be used: every agent of team '" +
                                       team.name + "' names its own backend in the team file; "
                                       "drop --remote, or remove the backend key of the agents that "
                                       "should run on it"));
    TeamBackends out;
    agents::TeamBackendOptions routing;
    routing.allowedHosts = agents::HostAllowlist(a.remote.allowHosts);
    routing.turnOptions.mode = engine::chatModeFromName(a.gen.mode).value_or(engine::ChatMode::Chat);
    routing.turnOptions.sampling = chatSampling(a.gen, !a.remote.url.empty());
    routing.turnOptions.maxTokensPerTurn = a.gen.maxTokens;
    if (wantsLocal || (usesDefault && !defaultIsRemote)) {
        if (wantsLocal && a.gen.model.empty())
            return unexpected(Error::usage("agent '" + wantsLocal->name +
                                           "' runs on the local model (backend: local): give --model"));
        auto local = openTurnBackend(ctx, a.gen, RemoteArgs{});
        if (!local) return unexpected(local.error());
        out.local = std::move(*local);
        routing.turnOptions.mode = out.local.mode;
        routing.local = out.local.backend;
    }
    if (usesDefault && defaultIsRemote) {
        auto remote = openTurnBackend(ctx, a.gen, a.remote);
        if (!remote) return unexpected(remote.error());
        out.remote = std::move(*remote);
    }
    if (usesDefault)
        routing.defaultModel = std::make_shared<agents::BackendAgentModel>(
            defaultIsRemote ? out.remote.backend : out.local.backend, routing.turnOptions);
    // --api-key went to --remote's server only; a server the team file names gets the key of
    // its api_key_env, if any.
    auto routed = agents::routeTeamBackends(team, routing);
    if (!routed) return unexpected(routed.error());
    out.model = std::move(*routed);
    out.mode = routing.turnOptions.mode;
    if (out.local.backend) (void)audit.append(agents::AuditKind::ModelLoad, "cli", {{"model", a.gen.model}});
    if (out.remote.backend)
        (void)audit.append(agents::AuditKind::ModelLoad, "cli", {{"remote", a.remote.url}, {"model", a.remote.model}});
    for (const auto* spec : team.agents())
        if (spec->backend.kind == agents::BackendKind::Remote)
            (void)audit.append(agents::AuditKind::ModelLoad, "cli",
                               {{"agent", spec->name}, {"remote", spec->backend.url}, {"model", spec->backend.model}});
    return out;
}

int runTeam(CliContext& ctx, RunArgs& a) {
    const fs::path dataDir = ctx.dataDir();
    if (dataDir.empty()) return kExitFailure;
    auto store = agents::SessionStore::open(agents::DataPaths{dataDir}.sessionsDb());
    if (!store) return ctx.fail(store.error());
    if (a.resume > 0) {  // the team, workspace and task the run started with
        auto start = agents::runStart(*store, a.resume);
        if (!start) return ctx.fail(start.error());
        if (a.team.empty()) a.team = start->teamFile;
        if (a.workspace.empty()) a.workspace = start->workspace;
    }
    if (a.team.empty() || a.workspace.empty() || (a.resume == 0 && a.task.empty()))
        return ctx.fail(ErrorCode::Usage, "team run needs TEAM, --workspace and --task (or --resume RUN_ID)");
    std::error_code ec;
    if (!fs::is_directory(a.workspace, ec))
        return ctx.fail(ErrorCode::BadInput, "workspace '" + a.workspace + "' is not a folder");
    const fs::path workspace = fs::canonical(a.workspace, ec);
    auto file = agents::findTeamFile(a.team, dataDir);
    if (!file) return ctx.fail(file.error());
    auto team = agents::loadTeam(*file, workspace);
    if (!team) return ctx.fail(team.error());
    agents::ToolRegistry registry;
    if (auto r = loadToolPlugins(registry); !r) return ctx.fail(r.error());
    // MCP servers see the workspace read-only, as with `tool run`; each call is checked again
    // against the calling agent's own grants.
    const agents::Policy mcpPolicy({{workspace, agents::Access::Read}}, dataDir);
    auto audit = agents::AuditLog::open(agents::DataPaths{dataDir}.auditDb());
    if (!audit) return ctx.fail(audit.error());
    // Servers allowed to sample ("sampling" in their configuration) are answered by the run's
    // local model, known once the backends are open (below); until then, and when no agent
    // runs on the local model, a request is refused saying so.
    auto sampler = std::make_shared<agents::McpSampler>();
    auto late = [sampler](const agents::McpSamplingRequest& r) -> Result<agents::McpSamplingReply> {
        if (!*sampler)
            return unexpected(Error::notFound("no local model is loaded in this team run (give --model, or "
                                              "backend: local to an agent)"));
        return (*sampler)(r);
    };
    if (auto r = addMcpServers(registry, a.mcpConfig, mcpPolicy, dataDir, &*audit, late); !r)
        return ctx.fail(r.error());
    std::vector<std::string> known;
    for (const auto* t : registry.tools()) known.push_back(t->name());
    // A server named in the team file must be on --allow-host: the file grants no network access.
    const agents::HostAllowlist allowedHosts(a.remote.allowHosts);
    if (auto ok = agents::checkTeam(*team, known, allowedHosts); !ok)
        return ctx.fail(ErrorCode::BadInput, file->string() + ": " + ok.error().message);
    auto backends = openTeamBackends(ctx, a, *team, *audit);
    if (!backends) return ctx.fail(backends.error());
    agents::AgentModel& model = *backends->model;
    const engine::ChatMode mode = backends->mode;
    if (backends->local.backend)
        *sampler = agents::backendSampler(backends->local.backend, chatSampling(a.gen), backends->local.mode,
                                          backends->local.local->tokenizer.eosId());

    std::stop_source stop;
    agents::TeamRuntimeOptions o;
    o.workspace = workspace;
    o.dataDir = dataDir;
    o.sharedPrefix = agents::teamSharedPrefix(*team, workspace);
    o.maxTokensPerTurn = a.gen.maxTokens;
    o.tokenBudgetCap = a.tokenBudget;
    o.stop = stop.get_token();
    // Every tool call the model writes is well-formed DSML that satisfies the tool's schema (on
    // the local model; a remote server gets tool_choice "required" for a forced first call).
    o.constraint = agents::dsmlConstraintFactory(mode, false, a.maxArgChars, a.maxCalls);
    if (a.firstCall)
        o.firstTurnConstraint = agents::dsmlConstraintFactory(mode, true, a.maxArgChars, a.maxCalls);
    if (!a.approve.empty()) {
        const bool yes = a.approve == "auto";
        o.approve = [yes](const agents::ApprovalRequest&) { return yes; };
        o.approvedBy = "--approve " + a.approve;
    }
    const bool json = ctx.options.json;
    o.onEvent = [json](const agents::TeamEvent& e) { printEvent(e, json); };
    o.onRunStarted = [](std::int64_t id) { std::cerr << "atelier-cli: team run " << id << std::endl; };

    gInterrupted = false;
    std::signal(SIGINT, onInterrupt);
    std::jthread watcher([&stop](std::stop_token done) {
        while (!done.stop_requested() && !gInterrupted) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (gInterrupted) stop.request_stop();
    });
    agents::TeamRuntime runtime(*team, model, registry, *store, &*audit, o);
    auto outcome = a.resume > 0 ? runtime.resume(a.resume) : runtime.run(a.task);
    *sampler = {};  // the servers outlive the backends it refers to (the registry is older)
    watcher.request_stop();
    std::signal(SIGINT, SIG_DFL);
    if (!outcome) return ctx.fail(outcome.error());
    return kExitOk;
}

int replayTeam(CliContext& ctx, std::int64_t runId) {
    const fs::path dataDir = ctx.dataDir();
    if (dataDir.empty()) return kExitFailure;
    auto store = agents::SessionStore::open(agents::DataPaths{dataDir}.sessionsDb());
    if (!store) return ctx.fail(store.error());
    auto events = agents::replayRun(*store, runId);
    if (!events) return ctx.fail(events.error());
    for (const auto& e : *events) printEvent(e, ctx.options.json);
    return kExitOk;
}

}  // namespace

void addTeamRunCommands(CLI::App* team, CliContext& ctx) {
    auto a = std::make_shared<RunArgs>();
    auto* run = team->add_subcommand("run", "Run a team on a task, headless");
    run->add_option("team", a->team, "A team file or a template name (with --resume: the run's own)");
    addGenerationOptions(run, a->gen, false);
    addRemoteOptions(run, a->remote);
    run->add_option("--workspace", a->workspace, "The folder the team works in");
    run->add_option("--task", a->task, "What the team should do");
    run->add_option("--approve", a->approve, "Answer every \"ask\" decision: auto (allow) or deny (default: deny)")
        ->check(CLI::IsMember({"auto", "deny"}));
    run->add_option("--resume", a->resume, "Continue run RUN_ID from its last persisted step");
    run->add_option("--token-budget", a->tokenBudget, "Cap every agent's token budget (0: the team's)")
        ->check(CLI::NonNegativeNumber);
    run->add_flag("--first-turn-tool-call", a->firstCall,
                  "Every agent's first turn must be a (valid) tool call: delegate, read, search...");
    run->add_option("--mcp-config", a->mcpConfig,
                    "Offer the tools of these MCP servers (mcpServers JSON) to the team");
    run->add_option("--max-calls-per-turn", a->maxCalls,
                    "At most N tool calls in one turn's tool-calls block (default 16)")
        ->check(CLI::PositiveNumber);
    run->add_option("--max-arg-chars", a->maxArgChars,
                    "Longest string value a tool call may hold (default 1024)")
        ->check(CLI::Range(std::size_t(1), std::size_t(1) << 20));
    addJsonFlag(run, ctx);
    onRun(run, ctx, [&ctx, a] { return runTeam(ctx, *a); });

    auto runId = std::make_shared<std::int64_t>(0);
    auto* replay = team->add_subcommand("replay", "Print a run's events from the session store, without a model");
    replay->add_option("run_id", *runId, "The run")->required();
    addJsonFlag(replay, ctx);
    onRun(replay, ctx, [&ctx, runId] { return replayTeam(ctx, *runId); });
}

}  // namespace atelier::cli
