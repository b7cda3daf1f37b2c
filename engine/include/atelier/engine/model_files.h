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

// GGUF only: quantize the weights the way llama-quantize does for the matching file type
// (`--weights q8_0|q4_k|q5_k|q6_k|q2_k|mxfp4`). Norms, 1-D tensors and the router stay F32;
// output.weight becomes Q6_K under the K-quants and Q8_0 under mxfp4; mxfp4 stores the routed
// experts as MXFP4 and every other matrix as Q8_0; rows that are not a multiple of 256 fall
// back as llama-quantize does (Q4_K -> Q5_0, Q2_K -> Q4_0, Q6_K -> Q8_0; Q5_K -> Q5_0 where
// llama-quantize writes Q5_1).
enum class GgufQuant { None, Q8_0, Q4_K, Q6_K, Q2_K, Mxfp4, Q5_K };

struct CreateModelOptions {
    ModelConfig config;
    FileFormat format = FileFormat::HuggingFace;
    WeightScheme scheme = WeightScheme::BF16;
    std::uint64_t seed = 0;
    std::filesystem::path tokenizerJson;  // empty: the built-in byte-level vocabulary
    GgufQuant ggufQuant = GgufQuant::None;  // None: the types `scheme` implies
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
