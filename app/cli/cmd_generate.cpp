// `atelier-cli generate` (CLI.md "Inference"): one reply to --prompt, streamed to stdout as it
// is generated; --json writes JSON Lines {"token":id,"text":..} and a final {"done":true,..}.
// The prefill progress bar goes to stderr on a terminal. Events arrive on the service's
// scheduler thread while the main thread waits.

#include <cstdio>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/generation_cli.h"
#include "cli/remote_cli.h"

namespace atelier::cli {
namespace {

struct GenerateArgs : GenerationArgs {
    std::string prompt;
    RemoteArgs remote;
};

Result<std::vector<std::int32_t>> promptIds(const GenerateArgs& a, const LoadedGenerator& g) {
    if (a.raw) return g.tokenizer.encode(a.prompt, true);
    engine::ChatMessage user;
    user.role = engine::ChatRole::User;
    user.content = a.prompt;
    auto text = engine::encodeChat({user}, engine::ChatEncodeOptions{g.mode});
    if (!text) return unexpected(text.error());
    return g.tokenizer.encode(*text, true);
}

nlohmann::json doneJson(const engine::GenerationResult& r) {
    return {{"done", true},
            {"finish_reason", engine::finishReasonName(r.reason)},
            {"prompt_tokens", r.usage.promptTokens},
            {"cached_tokens", r.usage.cachedTokens},
            {"completion_tokens", r.usage.completionTokens},
            {"prefill_tok_s", r.usage.prefillTokPerS},
            {"decode_tok_s", r.usage.decodeTokPerS}};
}

int run(CliContext& ctx, const GenerateArgs& a) {
    if (!a.remote.url.empty()) return runRemoteGenerate(ctx, a, a.remote, a.prompt);
    auto g = loadGenerator(ctx, a);
    if (!g) return ctx.fail(g.error());
    auto ids = promptIds(a, *g);
    if (!ids) return ctx.fail(ids.error());
    const bool json = ctx.options.json;
    ProgressBar bar(CliContext::stderrIsTerminal());
    std::optional<Error> error;
    engine::GenerationRequest req = makeRequest(a, g->tokenizer, std::move(*ids));
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
    req.callbacks.onDone = [json](const engine::GenerationResult& r) {
        if (json) std::cout << doneJson(r).dump() << "\n";
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
    sub->add_option("--prompt", args->prompt, "The user message (the raw text with --raw)")->required();
    sub->add_option("--numerics", ctx.options.numerics, "release (default) or plain")
        ->check(CLI::IsMember({"release", "plain"}));
    addJsonFlag(sub, ctx);
    addRemoteOptions(sub, args->remote);
    onRun(sub, ctx, [&ctx, args] { return run(ctx, *args); });
}

}  // namespace
ATELIER_CLI_COMMAND("generate", setup);
}  // namespace atelier::cli
