// Helpers of the generate and chat subcommands (see generation_cli.h).

#include "cli/generation_cli.h"
#include "cli/memory_budget.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "atelier/agents/data_paths.h"
#include "atelier/agents/local_chat_backend.h"
#include "atelier/engine/model_files.h"

namespace atelier::cli {

namespace fs = std::filesystem;

Result<engine::CheckpointStore> openCheckpointStore(CliContext& ctx, engine::CheckpointPolicy policy) {
    const fs::path dir = ctx.dataDir();
    if (dir.empty()) return unexpected(Error::io("no usable data folder"));
    const agents::DataPaths paths{dir};
    std::error_code ec;
    fs::create_directories(paths.kvCacheDir(), ec);
    if (ec) return unexpected(Error::io("cannot create '" + paths.kvCacheDir().string() + "': " + ec.message()));
    return engine::CheckpointStore::open(paths.kvCacheDb(), policy);
}

void addGenerationOptions(CLI::App* sub, GenerationArgs& a, bool withRaw) {
    // Required unless --remote is given (checked in loadGenerator).
    sub->add_option("--model", a.model, "Model folder, config.json or .gguf file");
    sub->add_option("--mode", a.mode, "chat (default), thinking or max")
        ->check(CLI::IsMember({"chat", "thinking", "max"}));
    if (withRaw) sub->add_flag("--raw", a.raw, "Send the prompt as is, without the chat template");
    sub->add_option("--max-tokens", a.maxTokens, "Tokens to generate at most (default 256; 0: to the context's end)")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--temperature", a.temperature, "Sampling temperature (default 1; 0: greedy)")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--top-p", a.topP, "Nucleus sampling mass (default 1: off)")->check(CLI::Range(0.0, 1.0));
    sub->add_option("--top-k", a.topK, "Keep the K most likely tokens (default 0: off)")
        ->check(CLI::NonNegativeNumber);
    sub->add_option_function<std::uint64_t>(
        "--seed", [&a](const std::uint64_t& v) { a.seed = v, a.seedGiven = true; },
        "Random seed (default 0; with --remote none is sent unless given)");
    sub->add_flag("--no-disk-cache", a.noDiskCache,
                  "Neither reuse nor store KV checkpoints of prompt prefixes in <data-dir>/kvcache");
}

namespace {

// An HF folder's tokenizer.json, or the vocabulary embedded in a GGUF file.
Result<engine::Tokenizer> tokenizerBeside(const fs::path& model) {
    return engine::Tokenizer::forModel(model);
}

void warn(const std::string& message) { std::cerr << "atelier-cli: warning: " << message << std::endl; }

// The checkpoint store as the service's disk prefix cache, or nullopt (with a warning) when it
// cannot be used.
std::optional<engine::CheckpointStore> diskPrefixCache(CliContext& ctx) {
    if (ctx.dataDir().empty()) return std::nullopt;
    auto store = openCheckpointStore(ctx);
    if (!store) {
        warn("the KV checkpoint cache is off: " + store.error().message);
        return std::nullopt;
    }
    return std::move(*store);
}

}  // namespace

Result<LoadedGenerator> loadGenerator(CliContext& ctx, const GenerationArgs& a) {
    if (a.model.empty()) return unexpected(Error::usage("--model is required (or --remote URL)"));
    const auto mode = engine::chatModeFromName(a.mode);
    if (!mode) return unexpected(Error::usage("--mode must be chat, thinking or max"));
    auto modelOptions = ctx.modelOptions();
    if (!modelOptions) return unexpected(modelOptions.error());
    auto tokenizer = tokenizerBeside(a.model);
    if (!tokenizer) return unexpected(tokenizer.error());
    auto weights = engine::openModel(a.model);
    if (!weights) return unexpected(weights.error());
    auto fingerprint = engine::modelPathFingerprint(a.model, (*weights)->config(), modelOptions->numerics);
    if (!fingerprint) return unexpected(fingerprint.error());
    if (auto r = applyMemoryBudget(ctx.options.memoryBudget, ctx.options.expertPolicy, **weights, kBudgetContext,
                                   *modelOptions);
        !r)
        return unexpected(r.error());
    auto model = engine::Model::load(std::move(*weights), *modelOptions);
    if (!model) return unexpected(model.error());
    if (tokenizer->vocabSize() > (*model)->config().vocabSize)
        return unexpected(Error::badInput(a.model + ": the tokenizer has " +
                                          std::to_string(tokenizer->vocabSize()) +
                                          " tokens but the model's vocabulary " +
                                          std::to_string((*model)->config().vocabSize)));
    engine::KvCache shape = (*model)->newSequence();
    auto checkpoints = std::make_shared<engine::CheckpointPrefixStore>(
        a.noDiskCache ? std::nullopt : diskPrefixCache(ctx), *fingerprint, shape);
    engine::GenerationOptions options;
    options.extraStore = checkpoints;
    auto service = std::make_unique<engine::GenerationService>(std::move(*model), options, *tokenizer);
    return LoadedGenerator{std::move(checkpoints), std::move(service), *tokenizer, *mode, *fingerprint,
                           std::move(shape)};
}

Result<std::vector<std::int32_t>> pinNamedCheckpoint(CliContext& ctx, LoadedGenerator& g,
                                                     const std::string& name) {
    auto store = openCheckpointStore(ctx);
    if (!store) return unexpected(store.error());
    auto hit = store->restoreNamed(name, g.fingerprint, *g.shape);
    if (hit) {
        std::vector<std::int32_t> tokens(hit->sequence.tokens().begin(), hit->sequence.tokens().end());
        g.checkpoints->pin(std::move(hit->sequence));
        return tokens;
    }
    // Damaged (now flagged) and of this model: recompute its tokens, if they are intact.
    auto all = store->list();
    if (!all) return unexpected(all.error());
    const auto row = std::find_if(all->begin(), all->end(), [&](const auto& c) { return c.name == name; });
    if (row == all->end() || !row->damaged || row->fingerprint != g.fingerprint.id)
        return unexpected(hit.error());
    auto tokens = store->tokensOf(row->id);
    if (!tokens) return unexpected(tokens.error());
    warn("KV checkpoint '" + name + "' is damaged (" + hit.error().message + "); recomputing its " +
         std::to_string(tokens->size()) + " tokens");
    return tokens;
}

agents::ChatSampling chatSampling(const GenerationArgs& a, bool remote) {
    agents::ChatSampling s;
    s.temperature = a.temperature;
    s.topP = a.topP;
    s.topK = a.topK;
    s.maxTokens = a.maxTokens;
    if (a.seedGiven || !remote) s.seed = a.seed;
    else s.seed.reset();
    return s;
}

engine::GenerationRequest makeRequest(const GenerationArgs& a, const engine::Tokenizer& tok,
                                      std::vector<std::int32_t> prompt) {
    return agents::generationRequest(std::move(prompt), chatSampling(a), tok);
}

void ProgressBar::update(std::int64_t done, std::int64_t total) {
    if (m_first < 0) m_first = done;
    if (!m_enabled || total - m_first < 256) return;
    const int width = 30;
    const int fill = int(double(done) / double(total) * width);
    std::fprintf(stderr, "\rprefill [%s%s] %lld/%lld", std::string(std::size_t(fill), '#').c_str(),
                 std::string(std::size_t(width - fill), ' ').c_str(), static_cast<long long>(done),
                 static_cast<long long>(total));
    std::fflush(stderr);
    m_drawn = true;
}

void ProgressBar::finish() {
    if (!m_drawn) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    m_drawn = false;
}

}  // namespace atelier::cli
