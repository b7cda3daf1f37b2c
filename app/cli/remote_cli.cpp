// The turn backend of `atelier-cli generate`, `chat` and `team run` (remote_cli.h).

#include "cli/remote_cli.h"

#include <optional>

#include "atelier/agents/local_chat_backend.h"
#include "atelier/agents/remote_chat_backend.h"

namespace atelier::cli {

void addRemoteOptions(CLI::App* sub, RemoteArgs& a) {
    sub->add_option("--remote", a.url,
                    "Run on an OpenAI-compatible server (http[s]://host:port[/v1]) instead");
    sub->add_option("--remote-model", a.model, "The model name to ask the remote server for");
    sub->add_option("--api-key", a.apiKey, "Bearer key for the remote server");
    sub->add_option("--allow-host", a.allowHosts,
                    "A host the remote backend may contact (repeatable; default: none)");
    sub->add_flag("--no-stream", a.noStream,
                  "Ask the remote server for one whole response per turn instead of a stream");
    sub->add_option("--remote-timeout", a.timeoutSeconds,
                    "Seconds of silence from the remote server before the turn fails (default 300)")
        ->check(CLI::Range(1, 86400));
}

Result<TurnBackend> openTurnBackend(CliContext& ctx, const GenerationArgs& gen,
                                    const RemoteArgs& remote) {
    TurnBackend out;
    out.mode = engine::chatModeFromName(gen.mode).value_or(engine::ChatMode::Chat);
    if (!remote.url.empty()) {
        if (gen.raw) return unexpected(Error::usage("--raw is not available with --remote"));
        // The policy is checked before anything runs, so a run never starts on a server it
        // may not contact.
        auto url = agents::parseHttpUrl(remote.url);
        if (!url) return unexpected(url.error());
        const agents::HostAllowlist allowlist(remote.allowHosts);
        if (auto ok = allowlist.check(url->host); !ok) return unexpected(ok.error());
        agents::RemoteEndpoint endpoint{remote.url, remote.model, remote.apiKey};
        endpoint.stream = !remote.noStream;
        endpoint.readTimeoutSeconds = remote.timeoutSeconds;
        out.backend = std::make_shared<agents::RemoteChatBackend>(
            endpoint, allowlist);
        return out;
    }
    auto g = loadGenerator(ctx, gen);
    if (!g) return unexpected(g.error());
    out.local = std::make_shared<LoadedGenerator>(std::move(*g));
    out.mode = out.local->mode;
    out.backend = std::make_shared<agents::LocalChatBackend>(*out.local->service, out.local->tokenizer,
                                                             gen.model);
    return out;
}

Result<agents::ChatEvent> runTurn(agents::ChatBackend& backend, agents::ChatBackendRequest request,
                                  const agents::ChatEventSink& onEvent) {
    std::optional<agents::ChatEvent> done;
    std::optional<Error> error;
    auto turn = backend.start(std::move(request), [&](const agents::ChatEvent& e) {
        if (e.kind == agents::ChatEventKind::Done) done = e;
        if (e.kind == agents::ChatEventKind::Error) error = e.error;
        onEvent(e);
    });
    if (!turn) return unexpected(turn.error());
    (*turn)->wait();
    if (error) return unexpected(*error);
    if (!done) return unexpected(Error::internal("the turn ended without its last event"));
    return *done;
}

}  // namespace atelier::cli
