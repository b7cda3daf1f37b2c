#pragma once
// config.json in both spellings DeepSeek ships: the Hugging Face naming (`hidden_size`,
// `num_hidden_layers`, `rope_scaling`, ...) and the inference folder's renamed variant (`dim`,
// `n_layers`, `rope_factor`, ...), spec §1.1. The writer emits the HF naming.
// Thread-safe: pure functions.

#include <string>

#include "atelier/engine/model_config.h"
#include "atelier/base/result.h"
#include "atelier/engine/tensor_schema.h"

namespace atelier::engine {

// Parses config.json text; `fileName` names the file in errors. Rejects what the engine does
// not implement (scoring function, activation, quantization format, ...) and anything
// ModelConfig::validate refuses.
Result<ModelConfig> parseHfConfig(const std::string& text, const std::string& fileName);

// config.json text in the HF naming, with `torch_dtype` and, under the FP8 scheme,
// `quantization_config` and `expert_dtype` as the release has them.
std::string hfConfigJson(const ModelConfig& config, WeightScheme scheme);

}  // namespace atelier::engine
