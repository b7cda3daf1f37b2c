#pragma once
// The vocabulary of a tokenizer.json as llama.cpp's converter puts it in a GGUF: read with the
// tokenizer's own reader, then added tokens that look special (<｜…｜>, <|…|>) marked Control
// even where tokenizer.json does not flag them special.

#include <filesystem>

#include "atelier/base/result.h"
#include "atelier/engine/vocabulary.h"

namespace atelier::engine {

Result<Vocabulary> vocabularyForGguf(const std::filesystem::path& tokenizerJson);

}  // namespace atelier::engine
