// `atelier-cli parse-completion`: parses one generated DeepSeek V4 assistant turn into an
// OpenAI-style message (CLI.md "Text"). Malformed turns exit 3.

#include <iostream>

#include <nlohmann/json.hpp>

#include "atelier/engine/chat_format.h"
#include "cli/cli_context.h"
#include "cli/input_text.h"

namespace atelier::cli {
namespace {

struct ParseCompletionOptions {
    std::string mode;
    std::string input;
    std::string tools;
};

int run(CliContext& ctx, const ParseCompletionOptions& o) {
    auto text = readInputText(o.input);
    if (!text) return ctx.fail(text.error());
    std::vector<std::string> known;
    if (!o.tools.empty()) {
        auto toolsText = readInputText(o.tools);
        if (!toolsText) return ctx.fail(toolsText.error());
        auto names = engine::parseToolNames(*toolsText);
        if (!names) return ctx.fail(ErrorCode::BadInput, o.tools + ": " + names.error().message);
        known = std::move(*names);
    }
    auto parsed = engine::parseCompletion(*text, *engine::chatModeFromName(o.mode), known);
    if (!parsed) {
        Error e = parsed.error();
        e.message = (o.input.empty() ? std::string("stdin") : o.input) + ": " + e.message;
        return ctx.fail(e);
    }
    std::string json = engine::completionToJson(*parsed);
    if (!o.tools.empty()) {
        // Calls of tools the request did not offer: reported, not refused (the runtime decides).
        auto j = nlohmann::ordered_json::parse(json);
        j["unknown_tools"] = parsed->unknownTools;
        json = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    }
    std::cout << json << std::endl;
    return kExitOk;
}

void setupParseCompletion(CLI::App& root, CliContext& ctx) {
    auto* sub = root.add_subcommand("parse-completion",
                                    "Parse a generated DeepSeek V4 assistant turn into JSON");
    auto o = std::make_shared<ParseCompletionOptions>();
    sub->add_option("--mode", o->mode, "chat, thinking or max: the mode of the prompt")
        ->required()
        ->check(CLI::IsMember({"chat", "thinking", "max"}));
    sub->add_option("--input", o->input, "Completion text file (default: stdin)");
    sub->add_option("--tools", o->tools,
                    "JSON list of the offered tools; adds \"unknown_tools\" to the output");
    // parse-completion always prints JSON; --json is accepted for uniformity.
    addJsonFlag(sub, ctx);
    onRun(sub, ctx, [&ctx, o] { return run(ctx, *o); });
}

}  // namespace
ATELIER_CLI_COMMAND("parse-completion", setupParseCompletion);
}  // namespace atelier::cli
