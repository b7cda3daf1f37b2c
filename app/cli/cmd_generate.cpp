// `atelier-cli generate` (CLI.md "Inference"): one reply to --prompt, streamed to stdout as it
// is generated; --json writes JSON Lines {"token":id,"text":..} and a final {"done":true,..}.
// The prefill progress bar goes to stderr on a terminal. Events arrive on the service's
// scheduler thread while the main thread waits. --tools FILE offers the tools of an
// OpenAI-style list (rendered on a system message) and constrains any tool call the model
// writes to well-formed DSML whose arguments fit the schemas (dsml_constraint.h).

#include <cstdio>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "atelier/engine/dsml_constraint.h"
#include "cli/generation_cli.h"
#include "cli/input_text.h"
#include "cli/remote_cli.h"

namespace atelier::cli {
namespace {

struct GenerateArgs : GenerationArgs {
    std::string prompt;
    std::string checkpoint;
    const CLI::Option* promptOption = nullptr;  // required unless --checkpoint
    std::string toolsFile;
    RemoteArgs remote;
};

// --checkpoint NAME: the checkpoint's tokens, then --prompt's text tokenized as is (no chat
// template; special tokens are parsed, as with --raw), so the reply continues the stored context.
Result<std::vector<std::int32_t>> checkpointIds(CliContext& ctx, const GenerateArgs& a, LoadedGenerator& g) {
    auto ids = pinNamedCheckpoint(ctx, g, a.checkpoint);
    if (!ids) return unexpected(ids.error());
    const auto more = g.tokenizer.encode(a.prompt, true);
    ids->insert(ids->end(), more.begin(), more.end());
    return ids;
}

// The tools file as a JSON list of tools (a file may also hold {"tools": [...]}).
Result<nlohmann::json> readTools(const std::string& path) {
    auto text = readInputText(path);
    if (!text) return unexpected(text.error());
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_object() && j.contains("tools")) j = j["tools"];
    if (!j.is_array()) return unexpected(Error::badInput(path + ": expected a JSON list of tools"));
    return j;
}

Result<std::vector<std::int32_t>> promptIds(const GenerateArgs& a, const LoadedGenerator& g,
                                            const std::optional<nlohmann::json>& tools) {
    if (a.raw) return g.tokenizer.encode(a.prompt, true);
    nlohmann::json input = {{"messages", nlohmann::json::array()}};
    if (tools) {
        input["messages"].push_back({{"role", "system"}, {"content", ""}});
        input["tools"] = *tools;  // top-level tools belong to the first message
    }
    input["messages"].push_back({{"role", "user"}, {"content", a.prompt}});
    auto messages = engine::parseChatMessages(input.dump());
    if (!messages) return unexpected(messages.error());
    return engine::encodeChatTokens(g.tokenizer, *messages, engine::ChatEncodeOptions{g.mode});
}

nlohmann::json doneJson(const engine::GenerationResult& r) {
    return nlohmann::json{{"done", true},
            {"finish_reason", engine::finishReasonName(r.reason)},
            {"prompt_tokens", r.usage.promptTokens},
            {"cached_tokens", r.usage.cachedTokens},
            {"completion_tokens", r.usage.completionTokens},
            {"prefill_tok_s", r.usage.prefillTokPerS},
            {"decode_tok_s", r.usage.decodeTokPerS}};
}

// With --tools: the calls of a turn the model ended itself. A turn cut by --max-tokens (finish
// reason "length") reports none, even a call that was complete: the model did not end its turn.
nlohmann::json toolCallsJson(const engine::GenerationResult& r, const LoadedGenerator& g,
                             const std::vector<engine::ToolSchemaSpec>& tools) {
    nlohmann::json calls = nlohmann::json::array();
    if (r.reason != engine::FinishReason::Stop) return calls;
    std::vector<std::string> names;
    for (const auto& t : tools) names.push_back(t.name);
    const auto parsed = engine::parseCompletion(r.text + std::string(g.tokenizer.tokenBytes(g.tokenizer.eosId())),
                                                g.mode, names);
    if (!parsed) return calls;
    for (const auto& c : parsed->toolCalls) calls.push_back({{"name", c.name}, {"arguments", c.arguments}});
    return calls;
}

int run(CliContext& ctx, const GenerateArgs& a) {
    if (a.checkpoint.empty() && a.promptOption->count() == 0)
        return ctx.fail(ErrorCode::Usage, "generate: --prompt is required (or --checkpoint NAME)");
    if (!a.remote.url.empty()) return runRemoteGenerate(ctx, a, a.remote, a.prompt);
    auto g = loadGenerator(ctx, a);
    if (!g) return ctx.fail(g.error());
    std::optional<nlohmann::json> tools;
    if (!a.toolsFile.empty()) {
        auto t = readTools(a.toolsFile);
        if (!t) return ctx.fail(t.error());
        tools = std::move(*t);
    }
    auto ids = a.checkpoint.empty() ? promptIds(a, *g, tools) : checkpointIds(ctx, a, *g);
    if (!ids) return ctx.fail(ids.error());
    const bool json = ctx.options.json;
    ProgressBar bar(CliContext::stderrIsTerminal());
    std::optional<Error> error;
    engine::GenerationRequest req = makeRequest(a, g->tokenizer, std::move(*ids));
    std::vector<engine::ToolSchemaSpec> toolSpecs;
    if (tools) {
        auto specs = engine::parseToolSchemas(tools->dump());
        if (!specs) return ctx.fail(Error::badInput(a.toolsFile + ": " + specs.error().message));
        toolSpecs = *specs;
        auto constraint = engine::makeDsmlConstraint(g->tokenizer, std::move(*specs), g->mode);
        if (!constraint) return ctx.fail(Error::badInput(a.toolsFile + ": " + constraint.error().message));
        req.constraint = std::move(*constraint);
    }
    req.callbacks.onProgress = [&bar](std::int64_t d, std::int64_t t) {
        bar.update(d, t);
        if (d == t) bar.finish();
    };
    req.callbacks.onToken = [json](std::int32_t id, std::string_view text) {
        if (json)
            std::cout << nlohmann::json{{"token", id}, {"text", std::string(text)}}.dump(
                             -1, ' ', false, nlohmann::json::error_handler_t::replace)
                      << "\n";
        else
            std::cout << text;
        std::cout.flush();
    };
    req.callbacks.onDone = [json, &toolSpecs, &g, withTools = tools.has_value()](const engine::GenerationResult& r) {
        nlohmann::json done = doneJson(r);
        if (withTools) done["tool_calls"] = toolCallsJson(r, *g, toolSpecs);
        if (json) std::cout << done.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        else std::cout << "\n";
        std::cout.flush();
    };
    req.callbacks.onError = [&error, &bar](const Error& e) {
        bar.finish();
        error = e;
    };
    auto handle = g->service->submit(std::move(req));
    if (!handle) return ctx.fail(handle.error());
    handle->wait();
    if (error) return ctx.fail(*error);
    return std::cout.good() ? kExitOk : kExitFailure;
}

void setup(CLI::App& root, CliContext& ctx) {
    auto* sub = root.add_subcommand("generate", "Generate a reply to a prompt, streamed to stdout");
    auto args = std::make_shared<GenerateArgs>();
    addGenerationOptions(sub, *args, true);
    args->promptOption = sub->add_option("--prompt", args->prompt,
                    "The user message (the raw text with --raw; with --checkpoint, text appended as is)");
    sub->add_option("--checkpoint", args->checkpoint,
                    "Continue from the named KV checkpoint's tokens (see `kv save`) without prefilling them");
    sub->add_option("--tools", args->toolsFile,
                    "A JSON list of OpenAI-style tools to offer; tool calls are constrained to them");
    sub->add_option("--numerics", ctx.options.numerics, "release (default) or plain")
        ->check(CLI::IsMember({"release", "plain"}));
    addJsonFlag(sub, ctx);
    addRemoteOptions(sub, args->remote);
    onRun(sub, ctx, [&ctx, args] { return run(ctx, *args); });
}

}  // namespace
ATELIER_CLI_COMMAND("generate", setup);
}  // namespace atelier::cli
