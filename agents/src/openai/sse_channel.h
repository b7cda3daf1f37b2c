#pragma once
// SseChannel: carries the SSE text of one streamed response from the thread that generates it
// (the scheduler thread) to the connection thread that writes it, which must never block the
// scheduler. Any thread.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>

namespace atelier::agents {

class SseChannel {
public:
    void push(std::string text) {
        std::lock_guard lock(m_mutex);
        m_items.push_back(std::move(text));
        m_ready.notify_one();
    }
    // No more text will come.
    void close() {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        m_ready.notify_one();
    }
    // Waits up to `timeout` for text; returns what there is and whether the channel is closed
    // with nothing left after it.
    std::deque<std::string> take(std::chrono::milliseconds timeout, bool& finished) {
        std::unique_lock lock(m_mutex);
        m_ready.wait_for(lock, timeout, [this] { return !m_items.empty() || m_closed; });
        std::deque<std::string> out;
        out.swap(m_items);
        finished = m_closed;
        return out;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_ready;
    std::deque<std::string> m_items;  // guarded by m_mutex
    bool m_closed = false;            // guarded by m_mutex
};

}  // namespace atelier::agents
