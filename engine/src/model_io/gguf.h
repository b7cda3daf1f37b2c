#pragma once
// GGUF files in llama.cpp's `deepseek4` layout (shared/design/gguf-deepseek4.md): the entry
// points the format-neutral model_files.cpp dispatches to. Implemented in gguf_*.cpp.
// Thread-safe: free functions without shared state.

#include <filesystem>
#include <memory>

#include "atelier/engine/model_files.h"
#include "atelier/engine/result.h"
#include "atelier/engine/vocabulary.h"
#include "atelier/engine/weight_source.h"

namespace atelier::engine {

// Opens a .gguf file as a WeightSource with HF names and shapes (zero-copy).
Result<std::unique_ptr<WeightSource>> openGgufModel(const std::filesystem::path& path);

// Writes `options` as one GGUF file at `out`.
Result<void> writeGgufModel(const CreateModelOptions& options, const std::filesystem::path& out);

// The tokenizer embedded in a .gguf file.
Result<Vocabulary> readGgufVocabulary(const std::filesystem::path& path);

}  // namespace atelier::engine
