#pragma once
// `--remote URL [--remote-model NAME] [--api-key KEY] --allow-host HOST` of `atelier-cli
// generate` and `chat`: the same turn run on an OpenAI-compatible server through
// RemoteChatBackend instead of the local model. Main thread; events arrive on the backend's
// reader thread while the main thread waits.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"
#include "cli/generation_cli.h"

namespace atelier::cli {

struct RemoteArgs {
    std::string url;
    std::string model;
    std::string apiKey;
    std::vector<std::string> allowHosts;  // the policy allowlist; empty: nothing is contacted
};

void addRemoteOptions(CLI::App* sub, RemoteArgs& args);

// One reply to `prompt` (generate); --json prints {"text":..} lines and a final done line.
int runRemoteGenerate(CliContext& ctx, const GenerationArgs& gen, const RemoteArgs& remote,
                      const std::string& prompt);
// The interactive chat loop (chat).
int runRemoteChat(CliContext& ctx, const GenerationArgs& gen, const RemoteArgs& remote);

}  // namespace atelier::cli
