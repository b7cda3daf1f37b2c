#pragma once
// ThreadPool: the model's worker threads, created once at load (never per op). run() splits
// work into parts that the workers and the calling thread take in turn and returns when all
// are done. Threads: run() is called by one thread at a time (the model's forward caller).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace atelier::engine::fwd {

class ThreadPool {
public:
    // `threads` in total, the caller included: threads − 1 workers.
    explicit ThreadPool(int threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int threads() const { return int(m_workers.size()) + 1; }
    // Calls fn(part) for every part in [0, parts), each exactly once, on any thread. No
    // allocation: `fn` is passed by reference.
    template <typename F>
    void run(int parts, F& fn) {
        runParts(parts, [](void* f, int part) { (*static_cast<F*>(f))(part); }, &fn);
    }

private:
    void runParts(int parts, void (*call)(void*, int), void* fn);
    void workerLoop();
    void takeParts();

    std::vector<std::thread> m_workers;
    std::mutex m_mutex;
    std::condition_variable m_wake, m_done;
    void (*m_call)(void*, int) = nullptr;            // guarded by m_mutex (set per generation)
    void* m_fn = nullptr;                            // guarded by m_mutex
    int m_parts = 0;                                 // guarded by m_mutex
    std::atomic<int> m_next{0};
    int m_busy = 0;                                  // guarded by m_mutex
    std::uint64_t m_generation = 0;                  // guarded by m_mutex
    bool m_stop = false;                             // guarded by m_mutex
};

}  // namespace atelier::engine::fwd
