#pragma once
// The tokenizer side of an HF model folder besides tokenizer.json (which toTokenizerJson in
// tokenizer.h writes): tokenizer_config.json and generation_config.json as the release ships
// them, and what a writer needs to know of an existing tokenizer.json.
// Thread-safe: pure functions.

#include <cstdint>
#include <filesystem>
#include <string>

#include "atelier/engine/model_config.h"
#include "atelier/base/result.h"
#include "atelier/engine/vocabulary.h"

namespace atelier::engine {

// tokenizer_config.json naming BOS, EOS and PAD by their texts.
std::string hfTokenizerConfigJson(const std::string& bos, const std::string& eos,
                                  const std::string& pad, std::int64_t maxLength);

std::string hfGenerationConfigJson(const ModelConfig& config);

// What a model writer needs from an existing tokenizer.json: how many ids it uses and which
// ids BOS and EOS have (by DeepSeek's texts; -1 when absent).
struct TokenizerFacts {
    std::int64_t vocabSize = 0;  // 1 + the largest id in model.vocab and added_tokens
    std::int64_t bosId = -1;
    std::int64_t eosId = -1;
    std::string bosText, eosText;
};
Result<TokenizerFacts> inspectTokenizerJson(const std::filesystem::path& path);

}  // namespace atelier::engine
