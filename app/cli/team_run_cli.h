#pragma once
// `atelier-cli team run` and `team replay` (CLI.md "Agents"), added to the `team` command by
// cmd_team.cpp. Main thread; the run's events are printed from agent threads one at a time.

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace atelier::cli {

void addTeamRunCommands(CLI::App* team, CliContext& ctx);

}  // namespace atelier::cli
