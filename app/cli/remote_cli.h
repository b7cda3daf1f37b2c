#pragma once
// `--remote URL [--remote-model NAME] [--api-key KEY] --allow-host HOST` of `atelier-cli
// generate`, `chat` and `team run`, and the turn backend every one of them runs its turns on:
// the local model (LocalChatBackend over the loaded GenerationService) or, with --remote, an
// OpenAI-compatible server (RemoteChatBackend). Main thread; a turn's events arrive on the
// backend's thread while the main thread waits.

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "atelier/agents/chat_backend.h"
#include "cli/cli_context.h"
#include "cli/generation_cli.h"

namespace atelier::cli {

struct RemoteArgs {
    std::string url;
    std::string model;
    std::string apiKey;
    std::vector<std::string> allowHosts;  // the policy allowlist; empty: nothing is contacted
    bool noStream = false;                // ask for one whole JSON response per turn
    int timeoutSeconds = 300;             // the longest silence tolerated from the server
};

void addRemoteOptions(CLI::App* sub, RemoteArgs& args);

// Where a command's turns run. `local` is null for a remote backend; it outlives `backend`
// (members are destroyed in reverse order).
struct TurnBackend {
    std::shared_ptr<LoadedGenerator> local;
    std::shared_ptr<agents::ChatBackend> backend;
    engine::ChatMode mode = engine::ChatMode::Chat;
};

// Loads the model (loadGenerator) or, with --remote, sets up the remote backend; a remote URL
// whose host is not in --allow-host is refused here (Denied), before any connection.
Result<TurnBackend> openTurnBackend(CliContext& ctx, const GenerationArgs& gen,
                                    const RemoteArgs& remote);

// Runs one turn and waits for its end, passing every event to `onEvent` (on the backend's
// thread). Returns the Done event, or the turn's error.
Result<agents::ChatEvent> runTurn(agents::ChatBackend& backend, agents::ChatBackendRequest request,
                                  const agents::ChatEventSink& onEvent);

}  // namespace atelier::cli
