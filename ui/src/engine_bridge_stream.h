#pragma once
// EngineBridge's private parts shared by its local and remote sources: the worker's Engine and
// a request's Stream, the coalescing buffer shared between the GUI thread and the thread that
// produces its text (the engine's scheduler, or a remote turn's reader thread).

#include <atomic>
#include <chrono>
#include <mutex>
#include <stop_token>
#include <optional>
#include <string>
#include <utility>

#include "atelier/engine/generation_service.h"
#include "atelier/engine/tokenizer.h"
#include "atelier/ui/engine_bridge.h"

namespace atelier::ui {

using Clock = std::chrono::steady_clock;

struct EngineBridge::Engine {
    std::shared_ptr<engine::GenerationService> service;  // shared with team runs (loadedEngine)
    std::optional<engine::Tokenizer> tokenizer;  // the loaded model's
    std::optional<engine::Tokenizer> fallback;   // built-in byte-level, for counting without a model
};

struct EngineBridge::Stream {
    std::mutex mutex;
    std::string pending;       // guarded by mutex: text not yet handed to the GUI thread
    int pendingTokens = 0;     // guarded by mutex
    bool posted = false;       // guarded by mutex: a flush event is queued
    std::stop_source stop;     // cancel() from the GUI, polled by the scheduler
    Clock::time_point submitted = Clock::now();
    std::atomic<double> firstTokenMs{-1};
};

}  // namespace atelier::ui
