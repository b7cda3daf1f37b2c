// `atelier-cli tool list` and `tool run`: the registered tools, and one call exactly as an agent
// granted read access to the workspace (and nothing else) would make it (CLI.md "Agents").

#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "atelier/agents/audit_log.h"
#include "atelier/agents/audited_tool_context.h"
#include "atelier/agents/data_paths.h"
#include "atelier/agents/policy.h"
#include "atelier/agents/tool_registry.h"
#include "atelier/agents/mcp_sampling.h"
#include "cli/cli_context.h"
#include "cli/generation_cli.h"
#include "cli/remote_cli.h"
#include "cli/tool_plugins.h"

namespace atelier::cli {
namespace {

int runList(CliContext& ctx, const std::string& mcpConfig, const std::string& workspace) {
    agents::ToolRegistry registry;
    if (auto r = loadToolPlugins(registry); !r) return ctx.fail(r.error());
    // Listing grants the servers no folder unless --workspace is given (read-only, as `tool
    // run`): they see the sandbox's system folders, their own install trees and state folders.
    std::error_code ec;
    if (!workspace.empty() && !std::filesystem::is_directory(workspace, ec))
        return ctx.fail(ErrorCode::BadInput, "workspace '" + workspace + "' is not a folder");
    std::filesystem::path dataDir;
    if (!mcpConfig.empty()) {
        dataDir = ctx.dataDir();
        if (dataDir.empty()) return kExitFailure;
    }
    std::vector<agents::PathGrant> grants;
    if (!workspace.empty()) grants.push_back({workspace, agents::Access::Read});
    const agents::Policy policy(grants, dataDir);
    if (auto r = addMcpServers(registry, mcpConfig, policy, dataDir); !r) return ctx.fail(r.error());
    if (ctx.options.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto* t : registry.tools())
            out.push_back({{"name", t->name()}, {"description", t->description()},
                           {"parameters", t->parameters()}});
        std::cout << nlohmann::json{{"tools", out}}.dump() << std::endl;
    } else {
        for (const auto* t : registry.tools())
            std::cout << t->name() << "\t" << t->description() << "\n";
    }
    return kExitOk;
}

int runTool(CliContext& ctx, const std::string& name, const std::string& argsText,
            const std::string& workspace, const std::string& mcpConfig, double timeoutSeconds,
            const GenerationArgs& gen) {
    nlohmann::json args;
    try {
        args = nlohmann::json::parse(argsText);
    } catch (const nlohmann::json::parse_error& e) {
        return ctx.fail(ErrorCode::BadInput, std::string("--args is not valid JSON: ") + e.what());
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(workspace, ec))
        return ctx.fail(ErrorCode::BadInput, "workspace '" + workspace + "' is not a folder");
    // Every run is audited (policy decisions, reads, the call) in the data folder, which the
    // policy denies to the tool itself.
    const std::filesystem::path dataDir = ctx.dataDir();
    if (dataDir.empty()) return kExitFailure;
    auto audit = agents::AuditLog::open(agents::DataPaths{dataDir}.auditDb());
    if (!audit) return ctx.fail(audit.error());
    const agents::Policy policy({{workspace, agents::Access::Read}}, dataDir);
    // --model: the model that answers the MCP servers' sampling requests (those allowed to
    // make them), as `generate` would answer the same conversation.
    TurnBackend model;
    agents::McpSampler sampler;
    if (!gen.model.empty()) {
        auto opened = openTurnBackend(ctx, gen, RemoteArgs{});
        if (!opened) return ctx.fail(opened.error());
        model = std::move(*opened);
        if (auto r = audit->append(agents::AuditKind::ModelLoad, "cli", {{"model", gen.model}}); !r)
            return ctx.fail(r.error());
        sampler = agents::backendSampler(model.backend, chatSampling(gen), model.mode,
                                         model.local->tokenizer.eosId());
    }
    agents::ToolRegistry registry;  // after the model: its MCP servers' samplers use it
    if (auto r = loadToolPlugins(registry); !r) return ctx.fail(r.error());
    if (auto r = addMcpServers(registry, mcpConfig, policy, dataDir, &*audit, std::move(sampler)); !r)
        return ctx.fail(r.error());
    // The call's deadline, as a team run's toolTimeout gives each call: tools that honour it
    // (searches, MCP calls) stop there with an error saying so.
    const auto deadline = agents::ToolContext::Clock::now() +
                          std::chrono::duration_cast<agents::ToolContext::Clock::duration>(
                              std::chrono::duration<double>(timeoutSeconds));
    const agents::PolicyToolContext policyCtx(policy, std::filesystem::absolute(workspace), deadline);
    const agents::AuditedToolContext toolCtx(policyCtx, *audit, "cli");
    auto result = registry.call(name, args, toolCtx);
    if (auto recorded = toolCtx.recordCall(name, args, result); !recorded)
        return ctx.fail(recorded.error());
    if (!result) return ctx.fail(result.error());
    if (ctx.options.json)
        std::cout << result->toJson().dump() << std::endl;
    else
        std::cout << result->text;
    return kExitOk;
}

void setupTool(CLI::App& root, CliContext& ctx) {
    auto* tool = root.add_subcommand("tool", "List and run agent tools");
    tool->require_subcommand(1);
    auto* list = tool->add_subcommand("list", "List the registered tools and their argument schemas");
    auto listMcp = std::make_shared<std::string>();
    list->add_option("--mcp-config", *listMcp, "Also list the tools of these MCP servers (mcpServers JSON)");
    auto listWorkspace = std::make_shared<std::string>();
    list->add_option("--workspace", *listWorkspace,
                     "The folder the MCP servers may read while listing (e.g. a filesystem server's root)");
    addJsonFlag(list, ctx);
    onRun(list, ctx, [&ctx, listMcp, listWorkspace] { return runList(ctx, *listMcp, *listWorkspace); });

    auto* run = tool->add_subcommand("run", "Run one tool once with read access to the workspace only");
    auto name = std::make_shared<std::string>();
    auto args = std::make_shared<std::string>("{}");
    auto workspace = std::make_shared<std::string>();
    run->add_option("name", *name, "Tool name (see `tool list`)")->required();
    run->add_option("--args", *args, "Arguments as a JSON object");
    run->add_option("--workspace", *workspace, "The folder the tool may read")->required();
    auto runMcp = std::make_shared<std::string>();
    run->add_option("--mcp-config", *runMcp,
                    "Start these MCP servers (mcpServers JSON) in the sandbox with the same grant");
    auto timeout = std::make_shared<double>(120);
    run->add_option("--timeout", *timeout, "Stop the call after this many seconds (exit 1 saying so)")
        ->type_name("SECONDS")
        ->check(CLI::Range(0.001, 86400.0))
        ->default_str("120");
    auto gen = std::make_shared<GenerationArgs>();
    run->add_option("--model", gen->model,
                    "Answer the MCP servers' sampling requests (where allowed) with this model");
    run->add_option("--seed", gen->seed, "The sampling seed of those answers")->default_str("0");
    addJsonFlag(run, ctx);
    onRun(run, ctx, [&ctx, name, args, workspace, runMcp, timeout, gen] {
        return runTool(ctx, *name, *args, *workspace, *runMcp, *timeout, *gen);
    });
}

}  // namespace
ATELIER_CLI_COMMAND("tool", setupTool);
}  // namespace atelier::cli
