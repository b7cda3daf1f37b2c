#include "forward/thread_pool.h"

#include <algorithm>
#include <chrono>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ATELIER_CPU_RELAX() _mm_pause()
#else
#define ATELIER_CPU_RELAX() std::this_thread::yield()
#endif

namespace atelier::engine::fwd {
namespace {

// How long a worker (or run() waiting for the workers) waits actively before sleeping: longer
// than the gap between two products of a decode step, far shorter than a scheduler tick. The
// first kPause of it spins on the pause instruction; after that each check yields the core, so
// a waiting thread never keeps a runnable one (the caller's serial work, another process on a
// shared 2-core machine, a preempted worker of this very run) off the core.
constexpr auto kSpin = std::chrono::microseconds(200);
constexpr auto kPause = std::chrono::microseconds(20);

template <typename Pred>
bool spinUntil(bool spin, Pred done) {
    if (!spin) return done();
    const auto begin = std::chrono::steady_clock::now();
    bool yielding = false;
    for (int i = 0;; ++i) {
        if (done()) return true;
        if (yielding) std::this_thread::yield();
        else ATELIER_CPU_RELAX();
        if ((i & 255) == 255 || yielding) {
            const auto spent = std::chrono::steady_clock::now() - begin;
            if (spent > kSpin) return false;
            yielding = spent > kPause;
        }
    }
}

// The cores this process may run on: its affinity mask (a container or `taskset` narrows it
// below hardware_concurrency()).
int allowedCores() {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
    return int(std::max(1u, std::thread::hardware_concurrency()));
}

// Binds the calling thread to the index-th core of the process's affinity mask (modulo its
// size). A failure (a sandbox that forbids it) leaves the thread unpinned: pinning is a hint.
void pinToCore(int index) {
#if defined(__linux__)
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0 || CPU_COUNT(&allowed) == 0) return;
    int seen = 0;
    const int target = index % CPU_COUNT(&allowed);
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (!CPU_ISSET(cpu, &allowed)) continue;
        if (seen++ != target) continue;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
        return;
    }
#else
    (void)index;
#endif
}

}  // namespace

ThreadPool::ThreadPool(int threads, bool pin)
    // More threads than cores: a spinning thread would take the core of one with work.
    : m_spin(threads <= allowedCores()), m_pin(pin) {
    for (int i = 1; i < threads; ++i)
        m_workers.emplace_back([this, i] {
            if (m_pin) pinToCore(i);
            workerLoop();
        });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_generation.fetch_add(1, std::memory_order_release);
    }
    m_wake.notify_all();
    for (auto& t : m_workers) t.join();
}

void ThreadPool::takeParts() {
    for (int part = m_next.fetch_add(1); part < m_parts; part = m_next.fetch_add(1)) {
        if (m_cancel.load(std::memory_order_relaxed)) {
            m_skipped.store(true, std::memory_order_relaxed);
            m_next.store(m_parts);  // the others stop taking too
            return;
        }
        m_call(m_fn, part);
    }
}

void ThreadPool::workerLoop() {
    std::uint64_t seen = 0;
    for (;;) {
        const auto changed = [&] { return m_generation.load(std::memory_order_acquire) != seen; };
        if (!spinUntil(m_spin, changed)) {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, changed);
        }
        seen = m_generation.load(std::memory_order_acquire);
        {
            std::lock_guard lock(m_mutex);
            if (m_stop) return;
        }
        takeParts();
        if (m_busy.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            std::lock_guard lock(m_mutex);  // pairs with the predicate check in runParts
            m_done.notify_one();
        }
    }
}

bool ThreadPool::runParts(int parts, void (*call)(void*, int), void* fn) {
    if (m_pin && !m_callerPinned.exchange(true)) pinToCore(0);
    m_cancel.store(false, std::memory_order_relaxed);
    m_skipped.store(false, std::memory_order_relaxed);
    if (m_workers.empty() || parts <= 1) {
        for (int p = 0; p < parts; ++p) {
            if (m_cancel.load(std::memory_order_relaxed)) return false;
            call(fn, p);
        }
        return true;
    }
    m_call = call;
    m_fn = fn;
    m_parts = parts;
    m_next.store(0, std::memory_order_relaxed);
    m_busy.store(int(m_workers.size()), std::memory_order_relaxed);
    {
        std::lock_guard lock(m_mutex);  // a worker about to sleep sees the bump or the notify
        m_generation.fetch_add(1, std::memory_order_release);
    }
    m_wake.notify_all();
    takeParts();
    const auto done = [&] { return m_busy.load(std::memory_order_acquire) == 0; };
    if (!spinUntil(m_spin, done)) {
        std::unique_lock lock(m_mutex);
        m_done.wait(lock, done);
    }
    return !m_skipped.load(std::memory_order_relaxed);
}

}  // namespace atelier::engine::fwd
