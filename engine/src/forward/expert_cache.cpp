#include "forward/expert_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>

#include "atelier/base/log.h"

namespace atelier::engine::fwd {
namespace {

constexpr std::size_t kAlign = 4096;  // O_DIRECT needs offsets, lengths and buffers aligned

std::size_t alignUp(std::size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

// The six tensors of an expert in a fixed order: w1, its scale, w2, its scale, w3, its scale.
const TensorView* partView(const ExpertWeights& e, int i) {
    const Linear& l = i < 2 ? e.w1 : i < 4 ? e.w2 : e.w3;
    return i % 2 == 0 ? l.m.weight : l.m.scale;
}

Linear& partLinear(ExpertWeights& e, int i) { return i < 2 ? e.w1 : i < 4 ? e.w2 : e.w3; }

std::string errnoText(int err) { return std::strerror(err); }

}  // namespace

std::uint64_t ExpertCache::routedBytes(const std::vector<BlockWeights>& blocks) {
    std::uint64_t total = 0;
    for (const BlockWeights& b : blocks)
        for (const ExpertWeights& e : b.moe.experts)
            for (int i = 0; i < 6; ++i)
                if (const TensorView* v = partView(e, i)) total += v->nbytes;
    return total;
}

Result<std::unique_ptr<ExpertCache>> ExpertCache::create(const std::vector<BlockWeights>& blocks,
                                                         const ModelConfig& cfg,
                                                         const ModelOptions& options) {
    std::unique_ptr<ExpertCache> c(new ExpertCache());
    c->m_blocks = &blocks;
    c->m_experts = cfg.nRoutedExperts;
    c->m_policy = options.expertPolicy;
    const std::size_t keys = blocks.size() * std::size_t(cfg.nRoutedExperts);
    c->m_parts.resize(keys);
    c->m_slotOf.assign(keys, -1);
    c->m_uses.assign(keys, 0);

    // Where every expert's tensors are, and the largest of each of the six parts.
    std::map<std::string, int> fileIndex;
    std::size_t partMax[6] = {};
    for (std::size_t l = 0; l < blocks.size(); ++l)
        for (int e = 0; e < cfg.nRoutedExperts; ++e) {
            const ExpertWeights& ex = blocks[l].moe.experts[std::size_t(e)];
            auto& parts = c->m_parts[l * std::size_t(cfg.nRoutedExperts) + std::size_t(e)];
            parts.resize(6);
            for (int i = 0; i < 6; ++i) {
                const TensorView* v = partView(ex, i);
                if (!v) continue;
                if (v->file.empty())
                    return unexpected(Error::usage("expert streaming needs weights read from files; tensor '" +
                                                   v->name + "' is held in memory"));
                auto [it, added] = fileIndex.emplace(v->file, int(c->m_files.size()));
                if (added) c->m_files.push_back(File{v->file});
                parts[std::size_t(i)] = Part{it->second, v->fileOffset, v->nbytes};
                partMax[i] = std::max(partMax[i], v->nbytes);
            }
        }
    // Each part gets room for its bytes plus the offset's misalignment within a page.
    for (std::size_t m : partMax)
        if (m > 0) c->m_slotBytes += alignUp(m) + kAlign;
    if (c->m_slotBytes == 0) return unexpected(Error::usage("expert streaming: the model has no routed experts"));

    // O_DIRECT where the file system takes it (probed with one aligned read), buffered reads
    // with the pages dropped afterwards where it does not (tmpfs, some network file systems).
    void* probe = std::aligned_alloc(kAlign, kAlign);
    c->m_direct = true;
    for (File& f : c->m_files) {
        f.fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT);
        if (f.fd >= 0 && ::pread(f.fd, probe, kAlign, 0) < 0) {
            ::close(f.fd);
            f.fd = -1;
        }
        f.direct = f.fd >= 0;
        if (f.fd < 0) f.fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (f.fd < 0) {
            const int err = errno;
            std::free(probe);
            return unexpected(Error::io(f.path + ": cannot open for expert streaming: " + errnoText(err)));
        }
        c->m_direct = c->m_direct && f.direct;
    }
    std::free(probe);

    const std::uint64_t slots = std::max<std::uint64_t>(1, options.expertCacheBytes / c->m_slotBytes);
    const std::uint64_t arena = slots * c->m_slotBytes;
    c->m_arena = static_cast<std::byte*>(std::aligned_alloc(kAlign, arena));
    if (!c->m_arena)
        return unexpected(Error::io("expert streaming: cannot allocate a cache of " + std::to_string(arena) + " bytes"));
    c->m_slots.resize(slots);
    for (std::uint64_t s = 0; s < slots; ++s) c->m_slots[s].buffer = c->m_arena + s * c->m_slotBytes;
    c->m_stats.streaming = true;
    c->m_stats.capacityBytes = arena;
    c->m_stats.slotCount = std::int64_t(slots);
    const int io = std::max(1, options.ioThreads);
    for (int i = 0; i < io; ++i) c->m_threads.emplace_back([p = c.get()] { p->ioLoop(); });
    logger("engine")->info("expert streaming: {} slots of {:.1f} MiB ({:.2f} GiB of {:.2f} GiB routed), {} reads in "
                           "flight, {} I/O, {} policy",
                           slots, double(c->m_slotBytes) / (1 << 20), double(arena) / (1 << 30),
                           double(routedBytes(blocks)) / (1 << 30), io, c->m_direct ? "direct" : "buffered",
                           options.expertPolicy == ExpertPolicy::Lru ? "LRU" : "frequency");
    return c;
}

ExpertCache::~ExpertCache() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_work.notify_all();
    for (std::thread& t : m_threads) t.join();
    for (File& f : m_files)
        if (f.fd >= 0) ::close(f.fd);
    std::free(m_arena);
}

int ExpertCache::victim() const {
    int best = -1;
    for (std::size_t s = 0; s < m_slots.size(); ++s) {
        const Slot& slot = m_slots[s];
        if (slot.pinned) continue;
        if (slot.key < 0) return int(s);
        if (best < 0) {
            best = int(s);
            continue;
        }
        const Slot& b = m_slots[std::size_t(best)];
        const bool better =
            m_policy == ExpertPolicy::Lru
                ? slot.lastUse < b.lastUse
                : m_uses[std::size_t(slot.key)] < m_uses[std::size_t(b.key)] ||
                      (m_uses[std::size_t(slot.key)] == m_uses[std::size_t(b.key)] && slot.lastUse < b.lastUse);
        if (better) best = int(s);
    }
    return best;
}

void ExpertCache::begin(int layer, std::vector<std::int32_t>& want, Round& round) {
    round.ready.clear();
    round.loading.clear();
    round.loadingSlots.clear();
    ++m_tick;
    const std::size_t base = std::size_t(layer) * std::size_t(m_experts);
    auto use = [&](std::int32_t e) {
        ++m_uses[base + std::size_t(e)];
        // Counts halve once every expert could have been routed eight times: old habits fade.
        if (++m_usesSinceAging >= 8 * m_uses.size()) {
            for (std::uint32_t& u : m_uses) u /= 2;
            m_usesSinceAging = 0;
        }
    };
    std::size_t kept = 0;
    for (std::int32_t e : want) {
        const std::int32_t s = m_slotOf[base + std::size_t(e)];
        if (s >= 0) {
            Slot& slot = m_slots[std::size_t(s)];
            slot.pinned = true;
            slot.lastUse = m_tick;
            round.ready.push_back(e);
            use(e);
            ++m_stats.hits;
        } else {
            want[kept++] = e;  // missing: taken below while slots last
        }
    }
    want.resize(kept);
    std::size_t taken = 0;
    {
        std::lock_guard lock(m_mutex);
        for (; taken < want.size(); ++taken) {
            const int s = victim();
            if (s < 0) break;
            Slot& slot = m_slots[std::size_t(s)];
            if (slot.key >= 0) m_slotOf[std::size_t(slot.key)] = -1;
            const std::int32_t e = want[taken];
            slot.key = std::int64_t(base + std::size_t(e));
            m_slotOf[base + std::size_t(e)] = s;
            slot.pinned = true;
            slot.lastUse = m_tick;
            load(slot, layer, e);
            round.loading.push_back(e);
            round.loadingSlots.push_back(s);
            use(e);
            ++m_stats.misses;
        }
    }
    if (taken > 0) m_work.notify_all();
    want.erase(want.begin(), want.begin() + std::ptrdiff_t(taken));
}

// Points the slot's views at its buffer and queues one read per tensor (m_mutex held).
void ExpertCache::load(Slot& slot, int layer, std::int32_t expert) {
    const ExpertWeights& src = (*m_blocks)[std::size_t(layer)].moe.experts[std::size_t(expert)];
    const auto& parts = m_parts[std::size_t(layer) * std::size_t(m_experts) + std::size_t(expert)];
    slot.w = src;
    slot.error.clear();
    std::size_t at = 0;
    for (int i = 0; i < 6; ++i) {
        const TensorView* v = partView(src, i);
        if (!v) continue;
        const Part& p = parts[std::size_t(i)];
        const std::size_t head = std::size_t(p.offset % kAlign);
        TensorView& view = slot.views[i];
        view = *v;
        view.data = slot.buffer + at + head;
        Linear& lin = partLinear(slot.w, i);
        (i % 2 == 0 ? lin.m.weight : lin.m.scale) = &view;
        m_queue.push_back(ReadJob{&slot, &m_files[std::size_t(p.file)], p.offset - head,
                                  alignUp(head + p.bytes), head + p.bytes, slot.buffer + at, v->name, p.offset});
        ++slot.pending;
        at += alignUp(v->nbytes) + kAlign;
    }
}

const ExpertWeights& ExpertCache::weights(int layer, std::int32_t expert) const {
    const std::int32_t s = m_slotOf[std::size_t(layer) * std::size_t(m_experts) + std::size_t(expert)];
    return m_slots[std::size_t(s)].w;
}

Result<void> ExpertCache::wait(const Round& round) {
    if (round.loadingSlots.empty()) return {};
    const auto t0 = std::chrono::steady_clock::now();
    std::string error;
    std::unique_lock lock(m_mutex);
    for (std::int32_t s : round.loadingSlots) {
        const Slot& slot = m_slots[std::size_t(s)];
        m_done.wait(lock, [&slot] { return slot.pending == 0; });
        if (error.empty() && !slot.error.empty()) error = slot.error;
    }
    m_stats.waitSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!error.empty()) return unexpected(Error::io(error));
    return {};
}

void ExpertCache::end(int layer, const Round& round) {
    const std::size_t base = std::size_t(layer) * std::size_t(m_experts);
    std::lock_guard lock(m_mutex);
    for (const auto* list : {&round.ready, &round.loading})
        for (std::int32_t e : *list) {
            const std::int32_t s = m_slotOf[base + std::size_t(e)];
            if (s < 0) continue;
            Slot& slot = m_slots[std::size_t(s)];
            slot.pinned = false;
            if (!slot.error.empty()) {  // a failed read leaves nothing usable behind
                m_slotOf[base + std::size_t(e)] = -1;
                slot.key = -1;
                slot.error.clear();
            }
        }
}

ExpertCacheStats ExpertCache::stats() const {
    std::lock_guard lock(m_mutex);
    return m_stats;
}

void ExpertCache::ioLoop() {
    for (;;) {
        ReadJob job;
        {
            std::unique_lock lock(m_mutex);
            m_work.wait(lock, [this] { return m_stop || !m_queue.empty(); });
            if (m_queue.empty()) return;  // stopping
            job = std::move(m_queue.front());
            m_queue.pop_front();
        }
        read(job);
    }
}

void ExpertCache::read(const ReadJob& job) {
    const auto t0 = std::chrono::steady_clock::now();
    std::size_t done = 0;
    std::string error;
    while (done < job.length) {
        const ssize_t r = ::pread(job.file->fd, job.dst + done, job.length - done, off_t(job.offset + done));
        if (r < 0) {
            if (errno == EINTR) continue;
            error = errnoText(errno);
            break;
        }
        if (r == 0) break;  // end of file: the tail of the last page is not there
        done += std::size_t(r);
    }
    if (error.empty() && done < job.needed)
        error = "the file ends after " + std::to_string(job.offset + done) + " bytes, inside the tensor";
    if (!job.file->direct && done > 0)
        ::posix_fadvise(job.file->fd, off_t(job.offset), off_t(job.length), POSIX_FADV_DONTNEED);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::lock_guard lock(m_mutex);
    m_stats.bytesRead += done;
    m_stats.readSeconds += seconds;
    Slot& slot = *job.slot;
    if (!error.empty() && slot.error.empty()) {
        slot.error = job.file->path + ": reading tensor '" + job.what + "' (bytes " +
                     std::to_string(job.tensorOffset) + " to " + std::to_string(job.offset + job.needed) +
                     ") for expert streaming failed: " + error;
    }
    if (--slot.pending == 0) m_done.notify_all();
}

}  // namespace atelier::engine::fwd
