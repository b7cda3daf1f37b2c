// `atelier-cli generate` (CLI.md "Inference"): one reply to --prompt, streamed to stdout as it
// is generated; --json writes JSON Lines {"token":id,"text":..} and a final {"done":true,..}.
// The prefill progress bar goes to stderr on a terminal. A chat prompt is one turn through the
// turn API (remote_cli.h: the local model, or --remote); --raw and --checkpoint continue ids as
// they are, on the service itself. Events arrive on the backend's thread while the main thread
// waits. --tools FILE offers the tools of an
// OpenAI-style list (rendered on a system message) and constrains any tool call the model
// writes to well-formed DSML whose arguments fit the schemas (dsml_constraint.h).

#include <cstdio>
#include <iostream>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "atelier/agents/chat_backend.h"
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

nlohmann::json doneJson(std::string_view finish, const agents::ChatUsage& u) {
    return nlohmann::json{{"done", true},
            {"finish_reason", finish},
            {"prompt_tokens", u.promptTokens},
            {"cached_tokens", u.cachedTokens},
            {"completion_tokens", u.completionTokens},
            {"prefill_tok_s", u.prefillTokPerS},
            {"decode_tok_s", u.decodeTokPerS}};
}

// The names generate has always printed: the engine's ("context" for a full context), and
// "stop" for a turn that ended with tool calls (they are listed in "tool_calls").
std::string_view finishName(agents::TurnFinish finish) {
    return finish == agents::TurnFinish::ToolCalls ? "stop" : agents::turnFinishName(finish);
}

std::string dumpLine(const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void printToken(bool json, std::int32_t id, std::string_view text) {
    if (json) std::cout << dumpLine({{"token", id}, {"text", std::string(text)}}) << "\n";
    else std::cout << text;
    std::cout.flush();
}

void printText(bool json, const char* key, const std::string& text) {
    if (json) std::cout << dumpLine({{key, text}}) << "\n";
    else std::cout << text;
    std::cout.flush();
}

void printDone(bool json, const nlohmann::json& done) {
    if (json) std::cout << dumpLine(done) << "\n";
    else std::cout << "\n";
    std::cout.flush();
}

// --raw and --checkpoint: ids continued as they are (no chat turn), straight on the service.
int runTokens(CliContext& ctx, const GenerateArgs& a, LoadedGenerator& g) {
    auto ids = a.checkpoint.empty() ? Result<std::vector<std::int32_t>>(g.tokenizer.encode(a.prompt, true))
                                    : checkpointIds(ctx, a, g);
    if (!ids) return ctx.fail(ids.error());
    const bool json = ctx.options.json;
    ProgressBar bar(CliContext::stderrIsTerminal());
    std::optional<Error> error;
    engine::GenerationRequest req = makeRequest(a, g.tokenizer, std::move(*ids));
    req.callbacks.onProgress = [&bar](std::int64_t d, std::int64_t t) {
        bar.update(d, t);
        if (d == t) bar.finish();
    };
    req.callbacks.onToken = [json](std::int32_t id, std::string_view text) { printToken(json, id, text); };
    req.callbacks.onDone = [json](const engine::GenerationResult& r) {
        const agents::ChatUsage u{r.usage.promptTokens, r.usage.cachedTokens, r.usage.completionTokens,
                                  r.usage.prefillTokPerS, r.usage.decodeTokPerS};
        printDone(json, doneJson(engine::finishReasonName(r.reason), u));
    };
    req.callbacks.onError = [&error, &bar](const Error& e) {
        bar.finish();
        error = e;
    };
    auto handle = g.service->submit(std::move(req));
    if (!handle) return ctx.fail(handle.error());
    handle->wait();
    if (error) return ctx.fail(*error);
    return std::cout.good() ? kExitOk : kExitFailure;
}

// A chat turn through the turn API (the local model, or --remote). --json prints a line per
// token where the backend has tokens (local), else per piece of text ({"reasoning"|"text"}).
int runChatTurn(CliContext& ctx, const GenerateArgs& a, TurnBackend& backend,
                const std::optional<nlohmann::json>& tools) {
    nlohmann::json input = {{"messages", nlohmann::json::array()}};
    if (tools) {
        input["messages"].push_back({{"role", "system"}, {"content", ""}});
        input["tools"] = *tools;  // top-level tools belong to the first message
    }
    input["messages"].push_back({{"role", "user"}, {"content", a.prompt}});
    auto messages = engine::parseChatMessages(input.dump());
    if (!messages) return ctx.fail(messages.error());
    agents::ChatBackendRequest request;
    request.messages = std::move(*messages);
    request.mode = backend.mode;
    request.sampling = chatSampling(a, !a.remote.url.empty());
    if (tools && backend.local) {
        // Compiled once here, so that a schema the grammar cannot take is an error, not a
        // silently unconstrained turn.
        auto specs = engine::parseToolSchemas(tools->dump());
        if (!specs) return ctx.fail(Error::badInput(a.toolsFile + ": " + specs.error().message));
        auto constraint = engine::makeDsmlConstraint(backend.local->tokenizer, std::move(*specs), backend.mode);
        if (!constraint) return ctx.fail(Error::badInput(a.toolsFile + ": " + constraint.error().message));
        request.constraint = [c = std::shared_ptr<engine::TokenConstraint>(std::move(*constraint))](
                                 const engine::Tokenizer&) { return c; };
    }
    const bool json = ctx.options.json;
    const bool tokens = backend.local != nullptr;
    ProgressBar bar(CliContext::stderrIsTerminal());
    nlohmann::json calls = nlohmann::json::array();
    auto done = runTurn(*backend.backend, std::move(request), [&](const agents::ChatEvent& e) {
        using K = agents::ChatEventKind;
        switch (e.kind) {
        case K::Progress:
            bar.update(e.progressDone, e.progressTotal);
            if (e.progressDone == e.progressTotal) bar.finish();
            break;
        case K::Token: printToken(json, e.token, e.text); break;
        case K::ReasoningDelta:
        case K::ContentDelta:
            if (!tokens) printText(json, e.kind == K::ReasoningDelta ? "reasoning" : "text", e.text);
            break;
        case K::ToolCall:
            calls.push_back({{"name", e.toolCall.name}, {"arguments", e.toolCall.arguments}});
            break;
        case K::Error: bar.finish(); break;
        default: break;
        }
    });
    if (!done) return ctx.fail(done.error());
    nlohmann::json line = doneJson(finishName(done->finish), done->usage);
    // The calls of a turn the model ended itself. A turn cut by --max-tokens (finish reason
    // "length") reports none, even a call that was complete: the model did not end its turn.
    if (tools) {
        const bool ended = done->finish == agents::TurnFinish::Stop ||
                           done->finish == agents::TurnFinish::ToolCalls;
        line["tool_calls"] = ended && done->formatError.empty() ? calls : nlohmann::json::array();
    }
    printDone(json, line);
    return std::cout.good() ? kExitOk : kExitFailure;
}

int run(CliContext& ctx, const GenerateArgs& a) {
    if (a.checkpoint.empty() && a.promptOption->count() == 0)
        return ctx.fail(ErrorCode::Usage, "generate: --prompt is required (or --checkpoint NAME)");
    if (!a.remote.url.empty() && !a.checkpoint.empty())
        return ctx.fail(Error::usage("--checkpoint is not available with --remote"));
    std::optional<nlohmann::json> tools;
    if (!a.toolsFile.empty()) {
        auto t = readTools(a.toolsFile);
        if (!t) return ctx.fail(t.error());
        tools = std::move(*t);
    }
    auto backend = openTurnBackend(ctx, a, a.remote);
    if (!backend) return ctx.fail(backend.error());
    if (a.raw || !a.checkpoint.empty()) return runTokens(ctx, a, *backend->local);
    return runChatTurn(ctx, a, *backend, tools);
}

void setupGenerate(CLI::App& root, CliContext& ctx) {
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
ATELIER_CLI_COMMAND("generate", setupGenerate);
}  // namespace atelier::cli
