// The remote path of `atelier-cli generate` and `chat` (remote_cli.h).

#include "cli/remote_cli.h"

#include <iostream>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "atelier/agents/remote_chat_backend.h"

namespace atelier::cli {
namespace {

agents::ChatBackendRequest requestFor(const GenerationArgs& g,
                                      std::vector<engine::ChatMessage> messages) {
    agents::ChatBackendRequest r;
    r.messages = std::move(messages);
    r.mode = engine::chatModeFromName(g.mode).value_or(engine::ChatMode::Chat);
    r.sampling.temperature = g.temperature;
    r.sampling.topP = g.topP;
    r.sampling.topK = g.topK;
    r.sampling.maxTokens = g.maxTokens;
    r.sampling.seed = g.seed;
    return r;
}

// Runs one turn, printing it as it comes; returns the reply's content.
Result<std::string> turn(const GenerationArgs& g, const RemoteArgs& a, bool json,
                         std::vector<engine::ChatMessage> messages) {
    agents::RemoteEndpoint endpoint{a.url, a.model, a.apiKey};
    agents::RemoteChatBackend backend(endpoint, agents::HostAllowlist(a.allowHosts));
    std::optional<Error> error;
    std::string content;
    auto print = [json](const char* key, const std::string& text) {
        if (json) std::cout << nlohmann::json{{key, text}}.dump(-1, ' ', false,
                                               nlohmann::json::error_handler_t::replace) << "\n";
        else std::cout << text;
        std::cout.flush();
    };
    auto started = backend.start(requestFor(g, std::move(messages)), [&](const agents::ChatEvent& e) {
        using K = agents::ChatEventKind;
        if (e.kind == K::ReasoningDelta) print("reasoning", e.text);
        if (e.kind == K::ContentDelta) print("text", e.text), content += e.text;
        if (e.kind == K::ToolCall && !json) std::cout << "\n[tool call: " << e.toolCall.name << "]";
        if (e.kind == K::Error) error = e.error;
        if (e.kind == K::Done && json)
            std::cout << nlohmann::json{{"done", true},
                                        {"finish_reason", e.finishReason},
                                        {"prompt_tokens", e.usage.promptTokens},
                                        {"cached_tokens", e.usage.cachedTokens},
                                        {"completion_tokens", e.usage.completionTokens}}
                             .dump()
                      << "\n";
        if (e.kind == K::Done && !json) std::cout << "\n";
        std::cout.flush();
    });
    if (!started) return unexpected(started.error());
    (*started)->wait();
    if (error) return unexpected(*error);
    return content;
}

engine::ChatMessage message(engine::ChatRole role, std::string text) {
    engine::ChatMessage m;
    m.role = role;
    m.content = std::move(text);
    return m;
}

}  // namespace

void addRemoteOptions(CLI::App* sub, RemoteArgs& a) {
    sub->add_option("--remote", a.url,
                    "Run on an OpenAI-compatible server (http[s]://host:port[/v1]) instead");
    sub->add_option("--remote-model", a.model, "The model name to ask the remote server for");
    sub->add_option("--api-key", a.apiKey, "Bearer key for the remote server");
    sub->add_option("--allow-host", a.allowHosts,
                    "A host the remote backend may contact (repeatable; default: none)");
}

int runRemoteGenerate(CliContext& ctx, const GenerationArgs& g, const RemoteArgs& a,
                      const std::string& prompt) {
    if (g.raw) return ctx.fail(Error::usage("--raw is not available with --remote"));
    auto r = turn(g, a, ctx.options.json, {message(engine::ChatRole::User, prompt)});
    return r ? kExitOk : ctx.fail(r.error());
}

int runRemoteChat(CliContext& ctx, const GenerationArgs& g, const RemoteArgs& a) {
    std::vector<engine::ChatMessage> messages;
    std::string line;
    for (;;) {
        if (CliContext::stderrIsTerminal()) std::cerr << "> " << std::flush;
        if (!std::getline(std::cin, line) || line == "/exit") break;
        if (line.empty()) continue;
        messages.push_back(message(engine::ChatRole::User, line));
        auto reply = turn(g, a, false, messages);
        if (!reply) return ctx.fail(reply.error());
        messages.push_back(message(engine::ChatRole::Assistant, *reply));
    }
    return kExitOk;
}

}  // namespace atelier::cli
