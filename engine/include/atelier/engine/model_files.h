#pragma once
// Opening and writing model files: Hugging Face folders (config.json + safetensors shards) and
// GGUF files in llama.cpp's `deepseek4` layout. Opening is zero-copy (mmap) and validates every
// expected tensor (presence, shape, dtype) before returning; errors name the file, the tensor
// and the byte offset. Thread-safe: free functions without shared state.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "atelier/engine/model_config.h"
#include "atelier/engine/result.h"
#include "atelier/engine/tensor_schema.h"
#include "atelier/engine/weight_source.h"

namespace atelier::engine {

enum class FileFormat { HuggingFace, Gguf };

struct CreateModelOptions {
    ModelConfig config;
    FileFormat format = FileFormat::HuggingFace;
    WeightScheme scheme = WeightScheme::BF16;
    std::uint64_t seed = 0;
    std::filesystem::path tokenizerJson;  // empty: the built-in byte-level vocabulary
};

// `atelier-cli model create`: seeded random weights written in the requested format. Writes to
// a temporary beside `out` and renames, so a failure leaves nothing half-written.
Result<void> createModel(const CreateModelOptions& options, const std::filesystem::path& out);

// Reads a config.json (HF naming or the inference folder's renamed variant).
Result<ModelConfig> readHfConfig(const std::filesystem::path& configJson);

// Opens a model: an HF folder (or its config.json), or a .gguf file. With `configOnly` a folder
// that holds only config.json is accepted and the source has no tensors.
Result<std::unique_ptr<WeightSource>> openModel(const std::filesystem::path& path);

// Checks that `source` holds every tensor of expectedTensors(config) with the right shape and
// a dtype the engine can compute with.
Result<void> validateWeights(const WeightSource& source);

}  // namespace atelier::engine
