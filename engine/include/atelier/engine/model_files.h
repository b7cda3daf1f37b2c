#pragma once
// Opening and writing model files: Hugging Face folders (config.json + safetensors shards) and
// GGUF files in llama.cpp's `deepseek4` layout. Opening is zero-copy (mmap) and validates every
// expected tensor (presence, shape, dtype) before returning; errors name the file, the tensor
// and the byte offset. Thread-safe: free functions without shared state.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "atelier/engine/model_config.h"
#include "atelier/base/result.h"
#include "atelier/engine/tensor_schema.h"
#include "atelier/engine/weight_source.h"

namespace atelier::engine {

enum class FileFormat { HuggingFace, Gguf };

// GGUF only: quantize the weights the way llama-quantize does (`--weights NAME`, see
// ggufQuantRecipes()). Norms, 1-D tensors and the router stay F32. A single type puts every
// other matrix in that type, output.weight in Q6_K (Q8_0 for q8_0 and mxfp4); mxfp4 stores the
// routed experts as MXFP4 and every other matrix as Q8_0. The mixes give experts, attention,
// shared experts and the head their own types, as published mixed files do. Rows that are not
// a multiple of the block fall back as llama-quantize does (K- and i-quants -> IQ4_NL, Q4_K ->
// Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, then F16). Values are not persisted.
enum class GgufQuant {
    None, Q8_0, Q4_K, Q6_K, Q2_K, Mxfp4, Q5_K,
    Q3_K, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, IQ4_XS, IQ3_S, IQ3_XXS, IQ2_S, IQ2_XS, IQ2_XXS, IQ1_M, IQ1_S,
    F16,  // every quantizable matrix (and the head) as F16
    // mixes
    Q4_K_M,      // Q4_K; Q6_K for the down projections of llama-quantize's "more bits" layers
    Q2_K_XL,     // Q2_K expert gate/up, Q3_K expert down, Q4_K attention and shared expert
    Expert2Bit,  // IQ2_XXS expert gate/up, Q2_K expert down, Q4_K elsewhere, Q8_0 head
    IQ2_XXS_XL,  // IQ2_XXS experts, IQ4_XS attention, IQ3_XXS shared expert, Q8_0 head
    IQ2_XS_XL,   // the same with IQ2_XS experts
    IQ1_M_XL,    // IQ1_M expert gate/up, IQ2_XXS expert down, IQ4_XS attention, IQ3_S shared
    IQ1_S_XL,    // the same with IQ1_S
};

struct GgufQuantRecipe {
    const char* name;  // the --weights name, e.g. "q4_k_m"
    GgufQuant quant;
};
// Every recipe `model create --weights` accepts, in a stable order.
const std::vector<GgufQuantRecipe>& ggufQuantRecipes();
// The recipe named `name`; None when there is none.
GgufQuant ggufQuantFromName(const std::string& name);

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

// The bytes createModel(options, out) writes (weights, headers, tokenizer and config files),
// from the writers' own plans without producing a weight; `out` only names errors.
Result<std::uint64_t> estimateModelBytes(const CreateModelOptions& options, const std::filesystem::path& out);

// `atelier-cli model split`: writes the GGUF file `in` as `parts` files named
// `<outPrefix>-00001-of-0000N.gguf` (llama.cpp's gguf-split layout); returns their paths.
Result<std::vector<std::filesystem::path>> splitGgufFile(const std::filesystem::path& in,
                                                        const std::filesystem::path& outPrefix, int parts);

// Reads a config.json (HF naming or the inference folder's renamed variant).
Result<ModelConfig> readHfConfig(const std::filesystem::path& configJson);

// Opens a model: an HF folder (or its config.json), or a .gguf file. With `configOnly` a folder
// that holds only config.json is accepted and the source has no tensors.
Result<std::unique_ptr<WeightSource>> openModel(const std::filesystem::path& path);

// Checks that `source` holds every tensor of expectedTensors(config) with the right shape and
// a dtype the engine can compute with.
Result<void> validateWeights(const WeightSource& source);

}  // namespace atelier::engine
