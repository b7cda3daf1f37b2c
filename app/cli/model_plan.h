#pragma once
// `atelier-cli model plan` (docs/cli.md): the memory a model needs resident on this machine,
// the expert cache it would use, and the prefill and decode speed to expect. Main thread.

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace atelier::cli {

// Adds `plan` under the `model` subcommand.
void addModelPlan(CLI::App* model, CliContext& ctx);

}  // namespace atelier::cli
