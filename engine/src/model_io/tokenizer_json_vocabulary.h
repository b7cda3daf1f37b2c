#pragma once
// Reads the Vocabulary out of a Hugging Face tokenizer.json (byte-level BPE) the way llama.cpp's
// converter fills a GGUF's tokenizer.ggml.* keys (doc §2.2): ids from model.vocab and
// added_tokens, added tokens that look special (<｜…｜>, <|…|>) as control, other added tokens as
// user-defined, holes as unused "[PAD{i}]", merges as "left right" in rank order.
// Thread-safe: a free function without shared state.

#include <filesystem>

#include "atelier/engine/result.h"
#include "atelier/engine/vocabulary.h"

namespace atelier::engine {

Result<Vocabulary> vocabularyFromTokenizerJson(const std::filesystem::path& path);

}  // namespace atelier::engine
