#pragma once
// ExpertCache: routed experts streamed from the weight files, for models larger than memory.
// Everything else stays mapped; each routed expert (its w1, w2, w3 and their scale companions)
// is read on demand with explicit preads into one of a fixed set of slots — page-aligned
// buffers allocated once at load — with O_DIRECT where the file system allows it, so the page
// cache does not hold a second copy (otherwise each read is followed by POSIX_FADV_DONTNEED).
// When every slot is taken, the policy (model.h ExpertPolicy) picks an unpinned victim:
// Frequency keeps the experts routed most often (per-expert use counts that survive eviction
// and halve as they age), Lru the most recently routed.
//
// A layer's step asks for its routed experts in rounds (moe.cpp): begin() pins every wanted
// expert already resident and as many missing ones as there are slots to evict, and queues
// their reads on the I/O threads; the caller multiplies with the resident ones (and the
// shared expert) while the reads run, then wait()s and multiplies with the rest; end() unpins.
// A cache smaller than one step's experts works in several rounds; each missing expert is read
// once per step. The bytes an expert holds are the file's, so products are bit-identical to
// the mapped run.
//
// Threads: begin/wait/end/weights are called by the forward's thread only; the I/O threads
// touch only the queued reads and a slot's completion count (under the queue's mutex).

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "atelier/base/result.h"
#include "atelier/engine/model.h"
#include "forward/forward_internal.h"

namespace atelier::engine::fwd {

class ExpertCache {
public:
    // `blocks`: the weights bound at load (routed experts' views give file, offset and size).
    // Fails when a routed expert is not file-backed or a file cannot be opened.
    static Result<std::unique_ptr<ExpertCache>> create(const std::vector<BlockWeights>& blocks,
                                                       const ModelConfig& cfg,
                                                       const ModelOptions& options);
    ~ExpertCache();
    ExpertCache(const ExpertCache&) = delete;
    ExpertCache& operator=(const ExpertCache&) = delete;

    // The routed experts' bytes as stored (weights and scales, every main layer).
    static std::uint64_t routedBytes(const std::vector<BlockWeights>& blocks);

    struct Round {
        std::vector<std::int32_t> ready;    // resident: usable now
        std::vector<std::int32_t> loading;  // being read: usable after wait()
        std::vector<std::int32_t> loadingSlots;  // their slots (internal)
    };
    // Moves from `want` (distinct expert ids of `layer`) into `round` every resident expert and
    // as many missing ones as unpinned slots allow, pins them and queues the missing ones'
    // reads. Takes at least one expert while `want` is not empty.
    void begin(int layer, std::vector<std::int32_t>& want, Round& round);
    // An expert of the current round (pinned).
    const ExpertWeights& weights(int layer, std::int32_t expert) const;
    // Waits for the round's reads. The first failed read names the file, tensor and offset;
    // its slot is emptied at end().
    Result<void> wait(const Round& round);
    // Unpins the round's experts.
    void end(int layer, const Round& round);

    ExpertCacheStats stats() const;

private:
    struct File {
        std::string path;
        int fd = -1;
        bool direct = false;
    };
    // One tensor of an expert: where it is in its file and where it lands in a slot.
    struct Part {
        int file = -1;
        std::uint64_t offset = 0;
        std::size_t bytes = 0;
    };
    struct Slot {
        std::int64_t key = -1;          // layer · E + expert, −1 when empty
        bool pinned = false;
        std::uint64_t lastUse = 0;
        std::byte* buffer = nullptr;    // m_slotBytes, page-aligned
        TensorView views[6];            // w1, w2, w3 and their scales
        ExpertWeights w;
        int pending = 0;                // reads not yet done (guarded by m_mutex)
        std::string error;              // first failed read (guarded by m_mutex)
    };
    struct ReadJob {
        Slot* slot;
        const File* file;
        std::uint64_t offset;           // page-aligned
        std::size_t length;             // page-aligned
        std::size_t needed;             // bytes that must arrive (the tensor's end)
        std::byte* dst;
        std::string what;               // tensor name, for errors
        std::uint64_t tensorOffset;     // where the tensor starts, for errors
    };

    ExpertCache() = default;
    int victim() const;
    void load(Slot& slot, int layer, std::int32_t expert);
    void ioLoop();
    void read(const ReadJob& job);

    const std::vector<BlockWeights>* m_blocks = nullptr;
    int m_experts = 0;
    ExpertPolicy m_policy = ExpertPolicy::Frequency;
    bool m_direct = false;
    std::size_t m_slotBytes = 0;
    std::byte* m_arena = nullptr;
    std::vector<File> m_files;
    std::vector<std::vector<Part>> m_parts;   // [layer · E + expert] → its tensors, in view order
    std::vector<std::int32_t> m_slotOf;       // [layer · E + expert] → slot, −1 when absent
    std::vector<std::uint32_t> m_uses;        // [layer · E + expert] routed count (aging)
    std::uint64_t m_usesSinceAging = 0;
    std::uint64_t m_tick = 0;
    std::vector<Slot> m_slots;

    mutable std::mutex m_mutex;
    std::condition_variable m_work, m_done;
    std::deque<ReadJob> m_queue;
    bool m_stop = false;
    std::vector<std::thread> m_threads;

    ExpertCacheStats m_stats;                 // bytesRead and readSeconds under m_mutex
};

}  // namespace atelier::engine::fwd
