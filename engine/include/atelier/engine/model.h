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

#include "atelier/engine/compute_backends.h"
#include "atelier/engine/forward.h"
#include "atelier/engine/kv_cache.h"
#include "atelier/engine/model_config.h"
#include "atelier/engine/numerics.h"
#include "atelier/base/result.h"
#include "atelier/engine/weight_source.h"

namespace atelier::engine {

// Which routed experts an expert cache keeps when it must make room.
enum class ExpertPolicy {
    Frequency,  // the least routed so far (counts halve as they age), ties to the least recent
    Lru,        // the least recently routed
};

struct ModelOptions {
    Numerics numerics = Numerics::Release;
    int threads = 1;  // matrix-product rows are split across this many threads (started once)
    bool pinThreads = false;  // bind each thread to its own core (see ThreadPool)
    // Expert streaming (bigger-than-memory models): when > 0 and smaller than the routed
    // experts' bytes, routed experts are read from the weight files with explicit reads into a
    // cache of this many bytes, and everything else stays mapped; 0 maps every weight. Logits
    // are bit-identical whatever the budget. Needs file-backed weights (HF or GGUF).
    std::uint64_t expertCacheBytes = 0;
    ExpertPolicy expertPolicy = ExpertPolicy::Frequency;
    int ioThreads = 8;  // reads in flight at once
    // Where the forward runs (chooseComputeBackend picks it for a front end's --backend); a
    // backend that cannot run a whole model is refused by load(), never replaced.
    ComputeBackendKind backend = ComputeBackendKind::Cpu;
};

// What the expert cache did since the model was loaded (all zero without streaming).
struct ExpertCacheStats {
    bool streaming = false;
    std::uint64_t capacityBytes = 0;   // the cache's buffers
    std::int64_t slotCount = 0;        // experts it holds at once (not `slots`: a Qt keyword)
    std::int64_t hits = 0;             // expert uses served from the cache
    std::int64_t misses = 0;           // expert uses that needed a read
    std::uint64_t bytesRead = 0;
    double readSeconds = 0;            // summed over the reads (they overlap)
    double waitSeconds = 0;            // the forward waited on reads
    double hitRate() const { return hits + misses > 0 ? double(hits) / double(hits + misses) : 0; }
};

using Sequence = KvCache;

// One sequence's part of a batched forward call (Model::forwardBatch).
struct BatchItem {
    KvCache* sequence = nullptr;
    std::span<const std::int32_t> tokens;      // ≥ 1 tokens, appended at the sequence's end
    LogitsRequest request = LogitsRequest::Last;
    std::vector<float>* logits = nullptr;      // receives [V] or [T, V] f32
};

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

    // Several sequences in one pass, so that each weight is read once per call: embedding,
    // hyper-connections, norms, the MoE and the head run over all rows together; attention
    // (which reads each sequence's cache) runs per sequence. Every row's arithmetic is the one
    // of a lone forward() (row-independent kernels), so a sequence's logits do not depend on
    // its batch mates. Every item is checked first; on error no sequence changes. A sequence
    // may appear once.
    Result<void> forwardBatch(std::span<const BatchItem> items);

    // Counters of the expert cache (streaming only).
    ExpertCacheStats expertCacheStats() const;

    struct Impl;

private:
    explicit Model(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace atelier::engine
