#pragma once
// Writes a Hugging Face model folder (config.json, generation_config.json, tokenizer files,
// safetensors shards of about 2 GB and model.safetensors.index.json) with seeded random
// weights, into `folder`, which must already exist and be empty (createModel passes a
// temporary that it renames afterwards). Thread-safe: no shared state.

#include <cstdint>
#include <filesystem>
#include <string>

#include "atelier/engine/model_files.h"

namespace atelier::engine {

// Shards are cut before a tensor that would take one past this many bytes.
inline constexpr std::uint64_t kHfShardBytes = 2'000'000'000ull;

Result<void> writeHfModel(const CreateModelOptions& options, const std::filesystem::path& folder,
                          std::uint64_t shardBytes = kHfShardBytes);

// The bytes writeHfModel writes (every file), from the same plan, without producing a weight.
Result<std::uint64_t> hfModelBytes(const CreateModelOptions& options, std::uint64_t shardBytes = kHfShardBytes);

// The `.scale` companion's name: "x.weight" -> "x.scale" (as weight_decode's bindMatrix looks
// it up).
std::string scaleName(const std::string& weightName);

}  // namespace atelier::engine
