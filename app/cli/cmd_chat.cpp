// `atelier-cli chat` (CLI.md "Inference"): an interactive chat on the terminal. Each turn
// renders the whole conversation with the chat template; the service's prefix cache serves
// the earlier turns, so only the new text is prefilled. The reply goes through the stream
// parser: reasoning is shown dimmed (on a terminal), the answer plainly. `/exit` or end of
// input quits.

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <unistd.h>

#include "atelier/engine/chat_stream_parser.h"
#include "cli/generation_cli.h"
#include "cli/remote_cli.h"

namespace atelier::cli {
namespace {

using engine::ChatStreamEventKind;

void show(const std::vector<engine::ChatStreamEvent>& events, bool tty, bool& inReasoning) {
    for (const auto& e : events) {
        if (e.kind == ChatStreamEventKind::ReasoningDelta) {
            if (!inReasoning && tty) std::cout << "\033[2m";
            inReasoning = true;
            std::cout << e.text;
        } else if (e.kind == ChatStreamEventKind::ContentDelta) {
            if (inReasoning && tty) std::cout << "\033[0m";
            if (inReasoning) std::cout << "\n";
            inReasoning = false;
            std::cout << e.text;
        } else if (e.kind == ChatStreamEventKind::ToolCallStart) {
            std::cout << "\n[tool call: " << e.text << "]";
        } else if (e.kind == ChatStreamEventKind::Error) {
            std::cerr << "\n(reply not in the chat format: " << e.text << ")";
        }
    }
    std::cout.flush();
}

// One assistant turn for `messages`; returns the parsed reply's content.
Result<std::string> turn(const GenerationArgs& a, LoadedGenerator& g,
                         const std::vector<engine::ChatMessage>& messages) {
    auto prompt = engine::encodeChatTokens(g.tokenizer, messages, engine::ChatEncodeOptions{g.mode});
    if (!prompt) return unexpected(prompt.error());
    const bool tty = isatty(STDOUT_FILENO) != 0;
    engine::ChatStreamParser parser(g.mode);
    bool inReasoning = false;
    ProgressBar bar(CliContext::stderrIsTerminal());
    std::optional<Error> error;
    std::string raw;
    auto req = makeRequest(a, g.tokenizer, std::move(*prompt));
    req.callbacks.onProgress = [&bar](std::int64_t d, std::int64_t t) {
        bar.update(d, t);
        if (d == t) bar.finish();
    };
    const auto eos = g.tokenizer.eosId();
    req.callbacks.onToken = [&](std::int32_t id, std::string_view piece) {
        raw += piece;
        show(parser.feed(piece), tty, inReasoning);
        (void)id;
    };
    // The service stops at EOS without its text; the parser needs it to close the turn.
    req.callbacks.onDone = [&](const engine::GenerationResult&) {
        show(parser.feed(std::string(g.tokenizer.tokenBytes(eos))), tty, inReasoning);
        show(parser.finish(), tty, inReasoning);
        if (inReasoning && tty) std::cout << "\033[0m";
        std::cout << "\n";
        std::cout.flush();
    };
    req.callbacks.onError = [&](const Error& e) { error = e; };
    auto h = g.service->submit(std::move(req));
    if (!h) return unexpected(h.error());
    h->wait();
    if (error) return unexpected(*error);
    return parser.result().content.empty() ? raw : parser.result().content;
}

struct ChatArgs : GenerationArgs {
    RemoteArgs remote;
};

int run(CliContext& ctx, const ChatArgs& a) {
    if (!a.remote.url.empty()) return runRemoteChat(ctx, a, a.remote);
    auto g = loadGenerator(ctx, a);
    if (!g) return ctx.fail(g.error());
    std::vector<engine::ChatMessage> messages;
    std::string line;
    const bool tty = isatty(STDIN_FILENO) != 0;
    for (;;) {
        if (tty) std::cerr << "> " << std::flush;
        if (!std::getline(std::cin, line) || line == "/exit") break;
        if (line.empty()) continue;
        engine::ChatMessage user;
        user.role = engine::ChatRole::User;
        user.content = line;
        messages.push_back(user);
        auto reply = turn(a, *g, messages);
        if (!reply) {
            if (reply.error().code != ErrorCode::Overflow) return ctx.fail(reply.error());
            ctx.fail(reply.error());  // the conversation no longer fits: say so, keep going
            messages.pop_back();
            continue;
        }
        engine::ChatMessage assistant;
        assistant.role = engine::ChatRole::Assistant;
        assistant.content = *reply;
        messages.push_back(assistant);
    }
    return kExitOk;
}

void setup(CLI::App& root, CliContext& ctx) {
    auto* sub = root.add_subcommand("chat", "Chat with a model on the terminal");
    auto args = std::make_shared<ChatArgs>();
    addGenerationOptions(sub, *args, false);
    addRemoteOptions(sub, args->remote);
    sub->add_option("--numerics", ctx.options.numerics, "release (default) or plain")
        ->check(CLI::IsMember({"release", "plain"}));
    onRun(sub, ctx, [&ctx, args] { return run(ctx, *args); });
}

}  // namespace
ATELIER_CLI_COMMAND("chat", setup);
}  // namespace atelier::cli
