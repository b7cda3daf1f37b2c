#pragma once
// ThreadPool: the model's worker threads, created once at load (never per op). run() splits
// work into parts that the workers and the calling thread take in turn and returns when all
// are done. Workers wait briefly on the generation counter (spinning, then yielding the core)
// before sleeping, so the hundreds of small products of one decode step are not each delayed
// by a condition-variable wake-up.
// No allocation per run. Threads: run() is called by one thread at a time (the model's
// forward caller); cancel() from any thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace atelier::engine::fwd {

class ThreadPool {
public:
    // `threads` in total, the caller included: threads − 1 workers. With `pin`, thread i (the
    // caller is 0, pinned at its first run()) is bound to the i-th core of the process's
    // affinity mask (modulo its size), so the OS never migrates a thread off its warm caches.
    explicit ThreadPool(int threads, bool pin = false);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int threads() const { return int(m_workers.size()) + 1; }
    bool pinned() const { return m_pin; }
    // Calls fn(part) for parts in [0, parts), each at most once, on any thread. Returns true
    // when every part ran; false when cancel() stopped the run (parts already started finish,
    // the rest are skipped). No allocation: `fn` is passed by reference.
    template <typename F>
    bool run(int parts, F& fn) {
        return runParts(parts, [](void* f, int part) { (*static_cast<F*>(f))(part); }, &fn);
    }
    // Makes the run in progress (if any) skip its parts not yet started. The next run() is
    // not affected.
    void cancel() { m_cancel.store(true, std::memory_order_relaxed); }

private:
    bool runParts(int parts, void (*call)(void*, int), void* fn);
    void workerLoop();
    void takeParts();

    const bool m_spin;                          // spin before sleeping (threads ≤ cores)
    const bool m_pin;
    std::atomic<bool> m_callerPinned{false};
    std::vector<std::thread> m_workers;
    std::mutex m_mutex;
    std::condition_variable m_wake, m_done;
    // Written by run() before m_generation is bumped (release) and read by workers after
    // they see the new generation (acquire).
    void (*m_call)(void*, int) = nullptr;
    void* m_fn = nullptr;
    int m_parts = 0;
    std::atomic<int> m_next{0};
    std::atomic<int> m_busy{0};                 // workers still in the current generation
    std::atomic<std::uint64_t> m_generation{0}; // bumped under m_mutex
    std::atomic<bool> m_cancel{false};
    std::atomic<bool> m_skipped{false};         // a part of the current run was skipped
    bool m_stop = false;                        // guarded by m_mutex
};

}  // namespace atelier::engine::fwd
