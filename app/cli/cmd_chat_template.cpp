// `atelier-cli chat-template`: renders a conversation (JSON) as DeepSeek V4's prompt text,
// byte for byte what the official encoder writes (CLI.md "Text").

#include <iostream>

#include "atelier/engine/chat_format.h"
#include "cli/cli_context.h"
#include "cli/input_text.h"

namespace atelier::cli {
namespace {

struct ChatTemplateOptions {
    std::string mode;
    bool keepReasoning = false;
    bool noBos = false;
    std::string input;
};

int run(CliContext& ctx, const ChatTemplateOptions& o) {
    auto text = readInputText(o.input);
    if (!text) return ctx.fail(text.error());
    auto messages = engine::parseChatMessages(*text);
    if (!messages) {
        Error e = messages.error();
        if (!o.input.empty()) e.message = o.input + ": " + e.message;
        return ctx.fail(e);
    }
    engine::ChatEncodeOptions options;
    options.mode = *engine::chatModeFromName(o.mode);
    options.keepReasoning = o.keepReasoning;
    options.addBos = !o.noBos;
    auto prompt = engine::encodeChat(*messages, options);
    if (!prompt) return ctx.fail(prompt.error());
    // Exactly the prompt: no trailing newline.
    std::cout << *prompt << std::flush;
    return kExitOk;
}

void setupChatTemplate(CLI::App& root, CliContext& ctx) {
    auto* sub = root.add_subcommand("chat-template",
                                    "Render a conversation (JSON) as DeepSeek V4 prompt text");
    auto o = std::make_shared<ChatTemplateOptions>();
    sub->add_option("--mode", o->mode, "chat, thinking (Think High) or max (Think Max)")
        ->required()
        ->check(CLI::IsMember({"chat", "thinking", "max"}));
    sub->add_flag("--keep-reasoning", o->keepReasoning,
                  "Keep the reasoning of turns before the last user message");
    sub->add_flag("--no-bos", o->noBos, "Omit the leading BOS text");
    sub->add_option("--input", o->input, "Conversation file (default: stdin)");
    onRun(sub, ctx, [&ctx, o] { return run(ctx, *o); });
}

}  // namespace
ATELIER_CLI_COMMAND("chat-template", setupChatTemplate);
}  // namespace atelier::cli
