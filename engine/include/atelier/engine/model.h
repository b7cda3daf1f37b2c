#pragma once
// Model: the DeepSeek V4 forward pass on the CPU (model spec §2–§8), incremental over a
// KvCache. Weights stay in their stored format (bound with weight_decode.h and read row by row
// by the kernels); norms, hc_*, ape, sinks and router biases are decoded to f32 once at load.
// Thread-safety: load() from any thread; forward() from one thread at a time per Model (it
// reuses the model's scratch buffers). Different KvCaches may be used in turn.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "atelier/engine/forward.h"
#include "atelier/engine/kv_cache.h"
#include "atelier/engine/model_config.h"
#include "atelier/engine/numerics.h"
#include "atelier/engine/result.h"
#include "atelier/engine/weight_source.h"

namespace atelier::engine {

struct ModelOptions {
    Numerics numerics = Numerics::Release;
    int threads = 1;  // kept for the threaded kernels of a later issue; 1 today
};

using Sequence = KvCache;

class Model {
public:
    ~Model();
    static Result<std::unique_ptr<Model>> load(std::unique_ptr<WeightSource> weights,
                                               const ModelOptions& options = {});

    const ModelConfig& config() const;
    Numerics numerics() const;
    // An empty sequence for this model and numerics.
    KvCache newSequence() const;

    // Runs `tokens` (any chunk size ≥ 1) starting at the sequence's current length and appends
    // them to it. `logits` becomes [V] (Last) or [T, V] (All) f32. On error (bad token id, a
    // sequence of another model, context overflow) the sequence is unchanged.
    Result<void> forward(KvCache& sequence, std::span<const std::int32_t> tokens,
                         LogitsRequest request, std::vector<float>& logits);

    struct Impl;

private:
    explicit Model(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace atelier::engine
