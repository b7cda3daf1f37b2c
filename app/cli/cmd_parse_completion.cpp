// `atelier-cli parse-completion`: parses one generated DeepSeek V4 assistant turn into an
// OpenAI-style message (CLI.md "Text"). Malformed turns exit 3.

#include <iostream>

#include "atelier/engine/chat_format.h"
#include "cli/cli_context.h"
#include "cli/input_text.h"

namespace atelier::cli {
namespace {

struct ParseCompletionOptions {
    std::string mode;
    std::string input;
};

int run(CliContext& ctx, const ParseCompletionOptions& o) {
    auto text = readInputText(o.input);
    if (!text) return ctx.fail(text.error());
    auto parsed = engine::parseCompletion(*text, *engine::chatModeFromName(o.mode));
    if (!parsed) {
        Error e = parsed.error();
        e.message = (o.input.empty() ? std::string("stdin") : o.input) + ": " + e.message;
        return ctx.fail(e);
    }
    std::cout << engine::completionToJson(*parsed) << std::endl;
    return kExitOk;
}

void setup(CLI::App& root, CliContext& ctx) {
    auto* sub = root.add_subcommand("parse-completion",
                                    "Parse a generated DeepSeek V4 assistant turn into JSON");
    auto o = std::make_shared<ParseCompletionOptions>();
    sub->add_option("--mode", o->mode, "chat, thinking or max: the mode of the prompt")
        ->required()
        ->check(CLI::IsMember({"chat", "thinking", "max"}));
    sub->add_option("--input", o->input, "Completion text file (default: stdin)");
    // parse-completion always prints JSON; --json is accepted for uniformity.
    addJsonFlag(sub, ctx);
    onRun(sub, ctx, [&ctx, o] { return run(ctx, *o); });
}

}  // namespace
ATELIER_CLI_COMMAND("parse-completion", setup);
}  // namespace atelier::cli
