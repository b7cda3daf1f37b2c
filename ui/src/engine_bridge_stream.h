#pragma once
// EngineBridge's private parts: the worker's WorkerState, and a request's Stream — its running turn
// and the coalescing buffer shared between the GUI thread and the thread that delivers the
// turn's events (the engine's scheduler, or a remote turn's reader thread).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "atelier/agents/chat_backend.h"
#include "atelier/engine/generation_service.h"
#include "atelier/engine/tokenizer.h"
#include "atelier/ui/engine_bridge.h"

namespace atelier::ui {

using Clock = std::chrono::steady_clock;

struct EngineBridge::WorkerState {
    std::shared_ptr<engine::GenerationService> service;  // the loaded model's (shared with its backend)
    std::optional<engine::Tokenizer> tokenizer;  // the loaded model's
    std::optional<engine::Tokenizer> fallback;   // built-in byte-level, for counting without a model
};

struct EngineBridge::Stream {
    // A tool call of the turn as the GUI has been told of it.
    struct Call {
        std::string name;
        std::string arguments;   // the whole arguments text so far
        bool announced = false;  // toolCallStarted was emitted
        bool changed = false;    // changed since the last flush
    };

    std::mutex mutex;
    // Keeps the backend (a local model's service) alive while its turn runs; declared before
    // `turn`, so the turn is destroyed (cancelled and joined) first.
    std::shared_ptr<agents::ChatBackend> backend;  // guarded by mutex
    std::shared_ptr<agents::TurnHandle> turn;        // guarded by mutex: null until started
    bool cancelRequested = false;  // guarded by mutex: cancel() before the turn had started
    bool finished = false;         // guarded by mutex: the GUI thread has seen its last event
    std::string reasoning;         // guarded by mutex: text not yet handed to the GUI thread
    std::string content;           // guarded by mutex
    int tokens = 0;                // guarded by mutex: tokens the pending text spans
    bool tokenEvents = false;      // guarded by mutex: the backend reports Token events
    std::vector<Call> calls;       // guarded by mutex
    bool posted = false;           // guarded by mutex: a flush event is queued
    Clock::time_point submitted = Clock::now();
    std::atomic<double> firstTokenMs{-1};

    // Worker thread: holds the started turn (cancelling it at once when cancel() came first),
    // or drops it when the GUI thread has already seen its last event.
    void adopt(std::shared_ptr<agents::ChatBackend> b, std::shared_ptr<agents::TurnHandle> t) {
        bool cancelNow = false;
        {
            std::lock_guard lock(mutex);
            if (!finished) {
                backend = std::move(b);
                turn = t;
                cancelNow = cancelRequested;
            }
        }
        if (cancelNow) t->cancel();
        t.reset();  // before `b`: a dropped turn goes before the backend it ran on
    }
    // Any thread: cancels the turn, or marks it to be cancelled once started.
    void cancel() {
        std::shared_ptr<agents::TurnHandle> t;
        {
            std::lock_guard lock(mutex);
            cancelRequested = true;
            t = turn;
        }
        if (t) t->cancel();
    }
    // Marks the request finished and destroys its turn (cancelling it and waiting for its last
    // event, at once when that came already), then releases the backend.
    void end() {
        std::shared_ptr<agents::ChatBackend> b;
        std::shared_ptr<agents::TurnHandle> t;
        {
            std::lock_guard lock(mutex);
            finished = true;
            b = std::move(backend);
            t = std::move(turn);
        }
        t.reset();
    }
};

}  // namespace atelier::ui
