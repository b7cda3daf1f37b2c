#pragma once
// Shared by `atelier-cli generate` and `atelier-cli chat`: the sampling options, loading a
// model with its tokenizer into a GenerationService, building the prompt and the prefill
// progress bar. Main thread, except the progress bar (the service's scheduler thread).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "atelier/agents/chat_backend.h"
#include "atelier/engine/chat_format.h"
#include "atelier/engine/checkpoint_prefix_store.h"
#include "atelier/engine/checkpoint_store.h"
#include "atelier/engine/generation_service.h"
#include "atelier/engine/tokenizer.h"
#include "cli/cli_context.h"

namespace atelier::cli {

struct GenerationArgs {
    std::string model;
    std::string mode = "chat";
    bool raw = false;
    int maxTokens = 256;
    float temperature = 1.0f;
    float topP = 1.0f;
    int topK = 0;
    std::uint64_t seed = 0;
    bool seedGiven = false;  // --seed was on the command line
    bool noDiskCache = false;
};

// --model, --mode, --raw (if `withRaw`), --max-tokens, --temperature, --top-p, --top-k, --seed,
// --no-disk-cache.
void addGenerationOptions(CLI::App* sub, GenerationArgs& args, bool withRaw);

struct LoadedGenerator {
    // Declared before the service, so it outlives it: its destructor writes the last prefill's
    // checkpoint once the scheduler has stopped.
    std::shared_ptr<engine::CheckpointPrefixStore> checkpoints;
    std::unique_ptr<engine::GenerationService> service;
    engine::Tokenizer tokenizer;
    engine::ChatMode mode = engine::ChatMode::Chat;
    engine::ModelFingerprint fingerprint;
    std::optional<engine::KvCache> shape;  // an empty sequence of the model
};

// <data-dir>/kvcache/checkpoints.db, its folder created when missing.
Result<engine::CheckpointStore> openCheckpointStore(CliContext& ctx, engine::CheckpointPolicy policy = {});

// Opens the weights (openModel) and the tokenizer beside them (a folder's tokenizer.json), and
// unless --no-disk-cache the KV checkpoints in <data-dir>/kvcache as the service's second prefix
// cache (an unusable checkpoint database is a warning: generation goes on without it).
Result<LoadedGenerator> loadGenerator(CliContext& ctx, const GenerationArgs& args);

// `generate --checkpoint NAME`: restores the named checkpoint and pins it in g.checkpoints so
// that the service continues from it without prefilling its tokens; returns its tokens. A
// damaged checkpoint is reported on stderr and its tokens are returned unpinned (recomputed).
Result<std::vector<std::int32_t>> pinNamedCheckpoint(CliContext& ctx, LoadedGenerator& g,
                                                     const std::string& name);

// The sampling options as the turn API takes them.
// `remote`: the turns go to a remote server, which gets no seed unless --seed was given (it
// picks one, as OpenAI's servers do); locally the default seed is 0.
agents::ChatSampling chatSampling(const GenerationArgs& args, bool remote = false);

// The request for `prompt` ids under the sampling options; stops at the tokenizer's EOS.
engine::GenerationRequest makeRequest(const GenerationArgs& args, const engine::Tokenizer& tok,
                                      std::vector<std::int32_t> prompt);

// Draws "prefill done/total" on stderr (only on a terminal and for prefills of 256+ tokens);
// finish() clears the line.
class ProgressBar {
public:
    explicit ProgressBar(bool enabled) : m_enabled(enabled) {}
    void update(std::int64_t done, std::int64_t total);
    void finish();

private:
    bool m_enabled;
    bool m_drawn = false;
    std::int64_t m_first = -1;
};

}  // namespace atelier::cli
