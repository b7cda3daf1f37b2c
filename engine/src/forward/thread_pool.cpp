#include "forward/thread_pool.h"

namespace atelier::engine::fwd {

ThreadPool::ThreadPool(int threads) {
    for (int i = 1; i < threads; ++i) m_workers.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    for (auto& t : m_workers) t.join();
}

void ThreadPool::takeParts() {
    for (int part = m_next.fetch_add(1); part < m_parts; part = m_next.fetch_add(1)) m_call(m_fn, part);
}

void ThreadPool::workerLoop() {
    std::uint64_t seen = 0;
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stop || m_generation != seen; });
            if (m_stop) return;
            seen = m_generation;
        }
        takeParts();
        std::lock_guard lock(m_mutex);
        if (--m_busy == 0) m_done.notify_one();
    }
}

void ThreadPool::runParts(int parts, void (*call)(void*, int), void* fn) {
    if (m_workers.empty() || parts <= 1) {
        for (int p = 0; p < parts; ++p) call(fn, p);
        return;
    }
    {
        std::lock_guard lock(m_mutex);
        m_call = call;
        m_fn = fn;
        m_parts = parts;
        m_next = 0;
        m_busy = int(m_workers.size());
        ++m_generation;
    }
    m_wake.notify_all();
    takeParts();
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [&] { return m_busy == 0; });
}

}  // namespace atelier::engine::fwd
