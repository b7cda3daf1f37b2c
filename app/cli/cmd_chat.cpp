// `atelier-cli chat` (CLI.md "Inference"): an interactive chat on the terminal. Each turn goes
// through the turn API (remote_cli.h: the local model, or --remote): the whole conversation is
// rendered with the chat template, and the service's prefix cache serves the earlier turns, so
// only the new text is prefilled. Reasoning is shown dimmed (on a terminal), the answer
// plainly. `/exit` or end of input quits.

#include <iostream>
#include <string>
#include <unistd.h>

#include "cli/generation_cli.h"
#include "cli/remote_cli.h"

namespace atelier::cli {
namespace {

using agents::ChatEventKind;

// Prints one turn's events as they come (on the backend's thread).
class TurnPrinter {
public:
    TurnPrinter() : m_tty(isatty(STDOUT_FILENO) != 0), m_bar(CliContext::stderrIsTerminal()) {}

    void operator()(const agents::ChatEvent& e) {
        switch (e.kind) {
        case ChatEventKind::Progress:
            m_bar.update(e.progressDone, e.progressTotal);
            if (e.progressDone == e.progressTotal) m_bar.finish();
            break;
        case ChatEventKind::ReasoningDelta:
            if (!m_inReasoning && m_tty) std::cout << "\033[2m";
            m_inReasoning = true;
            std::cout << e.text;
            break;
        case ChatEventKind::ContentDelta:
            endReasoning();
            std::cout << e.text;
            m_content += e.text;
            break;
        case ChatEventKind::ToolCall: std::cout << "\n[tool call: " << e.toolCall.name << "]"; break;
        case ChatEventKind::Done:
            endReasoning();
            if (!e.formatError.empty())
                std::cerr << "\n(reply not in the chat format: " << e.formatError << ")";
            std::cout << "\n";
            break;
        case ChatEventKind::Error: m_bar.finish(); break;
        default: break;
        }
        std::cout.flush();
    }

    const std::string& content() const { return m_content; }

private:
    void endReasoning() {
        if (!m_inReasoning) return;
        if (m_tty) std::cout << "\033[0m";
        std::cout << "\n";
        m_inReasoning = false;
    }

    bool m_tty;
    ProgressBar m_bar;
    bool m_inReasoning = false;
    std::string m_content;
};

struct ChatArgs : GenerationArgs {
    RemoteArgs remote;
};

engine::ChatMessage message(engine::ChatRole role, std::string text) {
    engine::ChatMessage m;
    m.role = role;
    m.content = std::move(text);
    return m;
}

int run(CliContext& ctx, const ChatArgs& a) {
    auto backend = openTurnBackend(ctx, a, a.remote);
    if (!backend) return ctx.fail(backend.error());
    std::vector<engine::ChatMessage> messages;
    std::string line;
    const bool tty = isatty(STDIN_FILENO) != 0;
    for (;;) {
        if (tty) std::cerr << "> " << std::flush;
        if (!std::getline(std::cin, line) || line == "/exit") break;
        if (line.empty()) continue;
        messages.push_back(message(engine::ChatRole::User, line));
        agents::ChatBackendRequest request;
        request.messages = messages;
        request.mode = backend->mode;
        request.sampling = chatSampling(a, !a.remote.url.empty());
        TurnPrinter printer;
        auto done = runTurn(*backend->backend, std::move(request),
                            [&printer](const agents::ChatEvent& e) { printer(e); });
        if (!done) {
            if (done.error().code != ErrorCode::Overflow) return ctx.fail(done.error());
            ctx.fail(done.error());  // the conversation no longer fits: say so, keep going
            messages.pop_back();
            continue;
        }
        messages.push_back(message(engine::ChatRole::Assistant, printer.content()));
    }
    return kExitOk;
}

void setupChat(CLI::App& root, CliContext& ctx) {
    auto* sub = root.add_subcommand("chat", "Chat with a model on the terminal");
    auto args = std::make_shared<ChatArgs>();
    addGenerationOptions(sub, *args, false);
    addRemoteOptions(sub, args->remote);
    sub->add_option("--numerics", ctx.options.numerics, "release (default) or plain")
        ->check(CLI::IsMember({"release", "plain"}));
    onRun(sub, ctx, [&ctx, args] { return run(ctx, *args); });
}

}  // namespace
ATELIER_CLI_COMMAND("chat", setupChat);
}  // namespace atelier::cli
