#pragma once
// CheckpointPrefixStore: the on-disk CheckpointStore as the generation service's second prefix
// cache (GenerationOptions::extraStore), consulted after the memory cache.
// * lookup: the longest stored prefix of the prompt made by this model (fingerprint), verified
//   token by token by CheckpointStore::lookup. The state returned is the checkpoint's restart
//   point S (the hit itself under the `full` strategy); its stores already know the entries up
//   to the hit, so the service's prefill from S reuses them. A damaged checkpoint is flagged and
//   reported once by the store, skipped here, and its tokens are simply prefilled again.
// * save: the service offers every block-aligned chunk end of a prefill. Writing each would
//   store O(n²) bytes, so the store keeps the latest offer as pending and writes it to disk only
//   once it is known to be a prefill's last aligned end: when an offer arrives that does not
//   extend it, or at flush() (the destructor). Superseded offers at multiples of the policy's
//   period become its window states (strategy `periodic`). A prefix already on disk with the
//   same tokens is not written again. The byte budget and LRU eviction are CheckpointStore's.
// * pin: a state served before the disk (a restored named checkpoint, `generate --checkpoint`),
//   whatever its length, to any prompt that starts with its tokens and is longer.
// Threads: construct, pin() and flush() before the service starts or after it is destroyed;
// lookup()/save() run on the service's scheduler thread only.

#include <cstdint>
#include <optional>
#include <vector>

#include "atelier/engine/checkpoint_store.h"
#include "atelier/engine/prefix_cache.h"

namespace atelier::engine {

class CheckpointPrefixStore final : public PrefixStore {
public:
    // `store`: nullopt serves pinned states only (the disk cache turned off). `shape`: any
    // sequence of the model (Model::newSequence()), for its config and numerics.
    CheckpointPrefixStore(std::optional<CheckpointStore> store, ModelFingerprint model, KvCache shape);
    ~CheckpointPrefixStore() override;
    CheckpointPrefixStore(const CheckpointPrefixStore&) = delete;
    CheckpointPrefixStore& operator=(const CheckpointPrefixStore&) = delete;

    std::optional<KvCache> lookup(std::span<const std::int32_t> tokens, std::int64_t maxLength) override;
    void save(const KvCache& state) override;

    void pin(KvCache state);
    // Writes the pending prefill end (if any) to disk. Errors are logged, never thrown.
    void flush();

    struct Stats {
        std::int64_t hits = 0;      // lookups served from disk
        std::int64_t written = 0;   // checkpoints written
    };
    const Stats& stats() const { return m_stats; }
    bool hasDisk() const { return m_store.has_value(); }

private:
    void write(const KvCache& state, std::span<const KvCache> windowStates);

    std::optional<CheckpointStore> m_store;
    ModelFingerprint m_model;
    KvCache m_shape;
    std::optional<KvCache> m_pinned;
    std::optional<KvCache> m_pending;     // the latest offered aligned state, not yet written
    std::vector<KvCache> m_pendingStates; // [≤ pending] superseded offers at period multiples
    Stats m_stats;
};

}  // namespace atelier::engine
