#pragma once
// Shared by `atelier-cli generate` and `atelier-cli chat`: the sampling options, loading a
// model with its tokenizer into a GenerationService, building the prompt and the prefill
// progress bar. Main thread, except the progress bar (the service's scheduler thread).

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "atelier/engine/chat_format.h"
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
};

// --model, --mode, --raw (if `withRaw`), --max-tokens, --temperature, --top-p, --top-k, --seed.
void addGenerationOptions(CLI::App* sub, GenerationArgs& args, bool withRaw);

struct LoadedGenerator {
    std::unique_ptr<engine::GenerationService> service;
    engine::Tokenizer tokenizer;
    engine::ChatMode mode = engine::ChatMode::Chat;
};

// Opens the weights (openModel) and the tokenizer beside them (a folder's tokenizer.json).
Result<LoadedGenerator> loadGenerator(const CliContext& ctx, const GenerationArgs& args);

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
