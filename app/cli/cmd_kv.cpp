// `atelier-cli kv list|show ID|delete ID|verify [--model PATH] [--json]` and `kv save --model PATH
// --prompt-file F [--raw] --name NAME`: the on-disk KV checkpoints in <data-dir>/kvcache.

#include <iostream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "atelier/agents/data_paths.h"
#include "atelier/engine/chat_format.h"
#include "atelier/engine/checkpoint_store.h"
#include "atelier/engine/model.h"
#include "atelier/engine/model_files.h"
#include "atelier/engine/tokenizer.h"
#include "cli/cli_context.h"
#include "cli/memory_budget.h"
#include "cli/generation_cli.h"
#include "cli/input_text.h"

namespace atelier::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct KvArgs {
    std::int64_t id = 0;
    std::string model, promptFile, name, strategy = "full";
    std::int64_t period = 1024;
    bool raw = false;
};

json toJson(const engine::CheckpointInfo& c) {
    return {{"id", c.id}, {"name", c.name}, {"fingerprint", c.fingerprint}, {"model", c.modelDescription},
            {"tokens", c.tokens}, {"strategy", std::string(engine::windowStrategyName(c.strategy))},
            {"bytes", c.bytes}, {"window_states", c.windowStates}, {"created_at_ms", c.createdAtMs},
            {"last_used_ms", c.lastUsedMs}, {"damaged", c.damaged}};
}

void printRow(const engine::CheckpointInfo& c) {
    std::cout << c.id << "\t" << (c.name.empty() ? "-" : c.name) << "\t" << c.fingerprint << "\t" << c.tokens
              << " tokens\t" << engine::windowStrategyName(c.strategy) << "\t" << c.bytes << " bytes"
              << (c.damaged ? "\tDAMAGED" : "") << "\n";
}

int runList(CliContext& ctx) {
    auto store = openCheckpointStore(ctx);
    if (!store) return ctx.fail(store.error());
    auto all = store->list();
    if (!all) return ctx.fail(all.error());
    if (ctx.options.json) {
        json out = {{"checkpoints", json::array()}};
        for (const auto& c : *all) out["checkpoints"].push_back(toJson(c));
        std::cout << out.dump() << "\n";
    } else {
        for (const auto& c : *all) printRow(c);
    }
    return kExitOk;
}

int runShow(CliContext& ctx, const KvArgs& a) {
    auto store = openCheckpointStore(ctx);
    if (!store) return ctx.fail(store.error());
    auto c = store->info(a.id);
    if (!c) return ctx.fail(c.error());
    if (ctx.options.json) std::cout << toJson(*c).dump() << "\n";
    else {
        printRow(*c);
        std::cout << "model: " << c->modelDescription << "\nwindow states: " << c->windowStates << "\n";
    }
    return kExitOk;
}

int runDelete(CliContext& ctx, const KvArgs& a) {
    auto store = openCheckpointStore(ctx);
    if (!store) return ctx.fail(store.error());
    if (auto r = store->remove(a.id); !r) return ctx.fail(r.error());
    if (ctx.options.json) std::cout << json{{"deleted", a.id}}.dump() << "\n";
    return kExitOk;
}

// Every checkpoint's CRCs and layout; with --model, that model's checkpoints decoded in full.
int runVerify(CliContext& ctx, const KvArgs& a) {
    std::optional<engine::ModelFingerprint> fp;
    std::optional<engine::KvCache> shape;
    if (!a.model.empty()) {
        const auto numerics = engine::parseNumerics(ctx.options.numerics);
        if (!numerics) return ctx.fail(ErrorCode::Usage, "kv verify: bad --numerics");
        auto weights = engine::openModel(a.model);
        if (!weights) return ctx.fail(weights.error());
        const engine::ModelConfig config = (*weights)->config();
        auto id = engine::modelPathFingerprint(a.model, config, *numerics);
        if (!id) return ctx.fail(id.error());
        fp = std::move(*id);
        shape.emplace(config, *numerics);
    }
    auto store = openCheckpointStore(ctx);
    if (!store) return ctx.fail(store.error());
    auto damaged = store->verify(fp ? &*fp : nullptr, shape ? &*shape : nullptr);
    if (!damaged) return ctx.fail(damaged.error());
    auto all = store->list();
    if (!all) return ctx.fail(all.error());
    const std::size_t total = all->size();
    std::size_t decoded = 0;
    for (const auto& c : *all) decoded += fp && c.fingerprint == fp->id ? 1 : 0;
    if (ctx.options.json) {
        json out = {{"checked", total}, {"decoded_in_full", decoded}, {"damaged", json::array()}};
        for (std::int64_t id : *damaged) out["damaged"].push_back(id);
        std::cout << out.dump() << "\n";
    } else {
        std::cout << total << " checkpoints checked (" << decoded
                  << " decoded in full against --model, the rest by their layout), "
                  << damaged->size() << " damaged\n";
    }
    return damaged->empty() ? kExitOk : kExitBadInput;
}

Result<std::vector<std::int32_t>> promptTokens(const KvArgs& a) {
    auto text = readInputText(a.promptFile);
    if (!text) return unexpected(text.error());
    std::error_code ec;
    const fs::path tokFile = fs::is_directory(a.model, ec) ? fs::path(a.model) / "tokenizer.json" : fs::path();
    if (tokFile.empty()) return unexpected(Error::usage("kv save: --model must be a model folder with a tokenizer.json"));
    auto tok = engine::Tokenizer::fromFile(tokFile);
    if (!tok) return unexpected(tok.error());
    if (a.raw) return tok->encodeContent(*text);
    engine::ChatMessage user;
    user.content = *text;
    return engine::encodeChatTokens(*tok, {user}, engine::ChatEncodeOptions{});
}

int runSave(CliContext& ctx, const KvArgs& a) {
    auto modelOptions = ctx.modelOptions();
    if (!modelOptions) return ctx.fail(modelOptions.error());
    const auto strategy = engine::parseWindowStrategy(a.strategy);
    if (!strategy || a.period < 1)
        return ctx.fail(ErrorCode::Usage, "kv save: bad --strategy or --period");
    auto ids = promptTokens(a);
    if (!ids) return ctx.fail(ids.error());
    if (ids->empty()) return ctx.fail(ErrorCode::BadInput, "kv save: the prompt has no tokens");
    auto weights = engine::openModel(a.model);
    if (!weights) return ctx.fail(weights.error());
    const engine::ModelConfig config = (*weights)->config();
    auto fp = engine::modelPathFingerprint(a.model, config, modelOptions->numerics);
    if (!fp) return ctx.fail(fp.error());
    if (auto r = applyMemoryBudget(ctx.options.memoryBudget, ctx.options.expertPolicy, **weights, kBudgetContext,
                                   *modelOptions);
        !r)
        return ctx.fail(r.error());
    auto model = engine::Model::load(std::move(*weights), *modelOptions);
    if (!model) return ctx.fail(model.error());
    engine::CheckpointPolicy policy{*strategy, a.period, engine::CheckpointPolicy{}.budgetBytes};
    auto store = openCheckpointStore(ctx, policy);
    if (!store) return ctx.fail(store.error());
    engine::KvCache seq = (*model)->newSequence();
    std::vector<float> logits;
    auto states = engine::prefillForCheckpoint(**model, seq, *ids, policy, logits);
    if (!states) return ctx.fail(states.error());
    auto id = store->save(*fp, seq, *states, a.name);
    if (!id) return ctx.fail(id.error());
    auto info = store->info(*id);
    if (!info) return ctx.fail(info.error());
    if (ctx.options.json) std::cout << toJson(*info).dump() << "\n";
    else printRow(*info);
    return kExitOk;
}

void setupKv(CLI::App& root, CliContext& ctx) {
    auto args = std::make_shared<KvArgs>();
    auto* kv = root.add_subcommand("kv", "On-disk KV-cache checkpoints");
    kv->require_subcommand(1);
    auto* list = kv->add_subcommand("list", "List the checkpoints");
    addJsonFlag(list, ctx);
    onRun(list, ctx, [&ctx] { return runList(ctx); });
    auto* show = kv->add_subcommand("show", "Show one checkpoint");
    show->add_option("ID", args->id, "Checkpoint id")->required();
    addJsonFlag(show, ctx);
    onRun(show, ctx, [&ctx, args] { return runShow(ctx, *args); });
    auto* del = kv->add_subcommand("delete", "Delete one checkpoint");
    del->add_option("ID", args->id, "Checkpoint id")->required();
    addJsonFlag(del, ctx);
    onRun(del, ctx, [&ctx, args] { return runDelete(ctx, *args); });
    auto* verify = kv->add_subcommand(
        "verify", "Check every checkpoint's checksums and decode it (in full for --model's checkpoints)");
    verify->add_option("--model", args->model, "Model folder whose checkpoints to decode in full");
    addJsonFlag(verify, ctx);
    onRun(verify, ctx, [&ctx, args] { return runVerify(ctx, *args); });
    auto* save = kv->add_subcommand("save", "Prefill a prompt and store a named checkpoint");
    save->add_option("--model", args->model, "Model folder")->required();
    save->add_option("--prompt-file", args->promptFile, "Prompt text file ('-' for stdin)")->required();
    save->add_flag("--raw", args->raw, "Use the text as is (no chat template)");
    save->add_option("--name", args->name, "Checkpoint name")->required();
    save->add_option("--strategy", args->strategy, "Window strategy: full, periodic or none");
    save->add_option("--period", args->period, "Tokens between window states (periodic)");
    addJsonFlag(save, ctx);
    onRun(save, ctx, [&ctx, args] { return runSave(ctx, *args); });
}

}  // namespace

ATELIER_CLI_COMMAND("kv", setupKv);

}  // namespace atelier::cli
