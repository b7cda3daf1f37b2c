// `atelier-cli team check TEAM [--allow-host HOST]`: validates a team file or template (CLI.md
// "Agents"), including that every server an agent names is on the allowlist. `team run`
// and `team replay` live in team_run_cli.cpp.

#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>

#include "atelier/agents/team.h"
#include "atelier/agents/tool_registry.h"
#include "cli/cli_context.h"
#include "cli/team_run_cli.h"

namespace atelier::cli {
namespace {

// The tool names of the contract (CLI.md), known even before their plugins are installed.
const std::vector<std::string> kContractTools = {
    "files_list", "files_stat", "files_read", "files_search", "pdf_info", "pdf_read", "pdf_search",
    "git_log",    "git_show",   "git_diff",   "git_blame",    "git_file", "git_grep"};

int runCheck(CliContext& ctx, const std::string& teamArg, const std::string& workspaceArg,
             const std::vector<std::string>& allowHosts) {
    // A template name is also looked up in the data folder's teams/ (created only then).
    auto file = agents::findTeamFile(teamArg, agents::isTeamFilePath(teamArg) ? std::filesystem::path() : ctx.dataDir());
    if (!file) return ctx.fail(file.error());
    std::error_code ec;
    const auto workspace = std::filesystem::absolute(workspaceArg.empty() ? "." : workspaceArg, ec);
    auto team = agents::loadTeam(*file, workspace);
    if (!team) return ctx.fail(team.error());
    std::vector<std::string> known = kContractTools;
    agents::ToolRegistry registry;
    for (const auto& dir : agents::ToolRegistry::defaultPluginDirs())
        if (auto n = registry.loadPlugins(dir); n && *n > 0) break;
    for (const auto* t : registry.tools())
        if (std::find(known.begin(), known.end(), t->name()) == known.end()) known.push_back(t->name());
    // A server an agent names must be on --allow-host, as for `team run`.
    if (auto ok = agents::checkTeam(*team, known, agents::HostAllowlist(allowHosts)); !ok) {
        Error e = ok.error();
        e.code = ErrorCode::BadInput;  // exit 3 (CLI.md), whichever rule was broken
        e.message = file->string() + ": " + e.message;
        return ctx.fail(e);
    }
    if (ctx.options.json) {
        nlohmann::json agentsJson = nlohmann::json::array();
        for (const auto* a : team->agents()) {
            nlohmann::json workers = nlohmann::json::array();
            for (const auto& w : a->workers) workers.push_back(w.name);
            agentsJson.push_back({{"name", a->name}, {"tools", a->tools}, {"workers", workers},
                                  {"approval", agents::approvalModeName(a->approval)},
                                  {"backend", agents::backendDescription(a->backend)}});
        }
        std::cout << nlohmann::json{{"ok", true}, {"team", team->name}, {"file", file->string()},
                                    {"agents", agentsJson}}.dump()
                  << std::endl;
    } else {
        std::cout << "team '" << team->name << "' is valid: " << team->agents().size() << " agent(s)\n";
    }
    return kExitOk;
}

void setupTeam(CLI::App& root, CliContext& ctx) {
    auto* team = root.add_subcommand("team", "Check and run agent teams");
    team->require_subcommand(1);
    auto* check = team->add_subcommand("check", "Validate a team file: schema, and every child within its parent");
    auto teamArg = std::make_shared<std::string>();
    auto workspace = std::make_shared<std::string>();
    auto allowHosts = std::make_shared<std::vector<std::string>>();
    check->add_option("team", *teamArg, "A team file or a template name")->required();
    check->add_option("--workspace", *workspace, "The folder ${workspace} stands for (default: .)");
    check->add_option("--allow-host", *allowHosts,
                      "A host an agent's backend may contact (repeatable; default: none)");
    addJsonFlag(check, ctx);
    onRun(check, ctx, [&ctx, teamArg, workspace, allowHosts] {
        return runCheck(ctx, *teamArg, *workspace, *allowHosts);
    });
    addTeamRunCommands(team, ctx);
}

}  // namespace
ATELIER_CLI_COMMAND("team", setupTeam);
}  // namespace atelier::cli
