#pragma once
// HfWeightSource: a Hugging Face model folder (config.json + safetensors shards) as a
// WeightSource. Owns the shard mappings; views point into them (zero-copy).
// Thread-safe after construction: all methods are const.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "atelier/base/mapped_file.h"
#include "atelier/engine/weight_source.h"

namespace atelier::engine {

class HfWeightSource final : public WeightSource {
public:
    const ModelConfig& config() const override { return m_config; }
    ModelFormat format() const override { return ModelFormat::HuggingFace; }
    const TensorView* find(std::string_view name) const override;
    std::vector<std::string> names() const override;
    std::string origin() const override { return m_folder; }

    // Opens `folder` (its config.json and every shard: those model.safetensors.index.json names,
    // else every *.safetensors). A folder without shards gives a source with no tensors.
    static Result<std::unique_ptr<HfWeightSource>> open(const std::filesystem::path& folder);

    // Adds the tensors of one mapped shard; fails on a malformed header or a duplicate name.
    Result<void> addShard(base::MappedFile file);

private:
    ModelConfig m_config;
    std::string m_folder;
    std::vector<std::unique_ptr<base::MappedFile>> m_files;    // [shards]
    std::map<std::string, TensorView, std::less<>> m_tensors;  // by HF name
};

// The shard files of `folder`, in order: from the index's weight_map when present, else every
// *.safetensors sorted by name.
Result<std::vector<std::filesystem::path>> listShards(const std::filesystem::path& folder);

}  // namespace atelier::engine
