#pragma once
// WeightSource: read-only access to a model's stored tensors by their Hugging Face names,
// whatever the file format (HF safetensors folder, GGUF, or memory). Tensors keep their stored
// dtype; views point into mmap'd files (zero-copy) or into memory the source owns.
// Thread-safe after construction: all methods are const and touch no shared state.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/engine/dtype.h"
#include "atelier/engine/model_config.h"
#include "atelier/base/result.h"
#include "atelier/engine/tensor_schema.h"

namespace atelier::engine {

struct TensorView {
    std::string name;                  // HF name
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;   // row-major, HF order ([out, in] for matrices)
    const std::byte* data = nullptr;
    std::size_t nbytes = 0;
    std::string file;                  // where it lives, for error messages
    std::uint64_t fileOffset = 0;      // byte offset of data within `file`

    std::int64_t elements() const { return elementCount(shape); }
};

enum class ModelFormat { HuggingFace, Gguf, Memory };

class WeightSource {
public:
    virtual ~WeightSource() = default;
    virtual const ModelConfig& config() const = 0;
    virtual ModelFormat format() const = 0;
    // nullptr when absent. `.scale` companions are looked up by their own name.
    virtual const TensorView* find(std::string_view name) const = 0;
    virtual std::vector<std::string> names() const = 0;
    // Where the weights came from (a folder or file path, or "memory").
    virtual std::string origin() const = 0;
    // Tensors in the files that no part of the model reads (an extra speculative head), skipped.
    virtual std::vector<std::string> skipped() const { return {}; }
    // Files the weights are split over (GGUF parts, safetensors shards count as one source).
    virtual int parts() const { return 1; }
};

// Tensors held in memory; used by `model create` before writing and by tests.
class OwnedWeights final : public WeightSource {
public:
    explicit OwnedWeights(ModelConfig config) : m_config(std::move(config)) {}
    const ModelConfig& config() const override { return m_config; }
    ModelFormat format() const override { return ModelFormat::Memory; }
    const TensorView* find(std::string_view name) const override;
    std::vector<std::string> names() const override;
    std::string origin() const override { return "memory"; }

    // Adds (or replaces) a tensor, copying `bytes`.
    void add(std::string name, DType dtype, std::vector<std::int64_t> shape,
             std::vector<std::byte> bytes);

private:
    struct Entry {
        TensorView view;
        std::vector<std::byte> storage;
    };
    ModelConfig m_config;
    std::map<std::string, std::unique_ptr<Entry>, std::less<>> m_tensors;
};

// Seeded random weights, F32 (tid2eid I64), for every tensor of expectedTensors(config).
// Each tensor's values depend only on (seed, tensor name), never on generation order, so any
// writer can produce them tensor by tensor. Magnitudes keep activations in a sane range.
void fillRandomTensor(const ModelConfig& config, const TensorSpec& spec, std::uint64_t seed,
                      std::byte* out);
std::unique_ptr<OwnedWeights> randomWeights(const ModelConfig& config, std::uint64_t seed);

}  // namespace atelier::engine
