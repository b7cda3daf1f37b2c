#pragma once
// Internal to the generation service: the shared request state behind a handle, the
// scheduler's per-request record and the scheduler itself. Threads: Signal and
// GenerationHandle::State are shared with submitters; everything else is the scheduler's.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <list>
#include <mutex>
#include <thread>

#include "atelier/engine/generation_service.h"

namespace atelier::engine::gen {

using Clock = std::chrono::steady_clock;

// Wakes the scheduler: new requests, cancellations, shutdown.
struct Signal {
    std::mutex mutex;
    std::condition_variable cv;
    bool dirty = false;
    void notify() {
        {
            std::lock_guard lock(mutex);
            dirty = true;
        }
        cv.notify_all();
    }
};

// One request as the scheduler runs it.
struct Active {
    std::shared_ptr<GenerationHandle::State> state;
    GenerationRequest req;
    Sampler sampler;
    std::optional<StreamingDetokenizer> detok;
    std::optional<KvCache> seq;        // created when the request starts
    std::int64_t cached = 0;
    bool prefilling = true;
    std::int32_t next = -1;            // the token the next decode step feeds
    std::vector<std::int32_t> generated;
    std::string text;
    std::vector<float> logits;         // [V] f32
    Clock::time_point prefillStart, firstToken, lastToken;
    bool done = false;                 // onDone or onError has run
};

}  // namespace atelier::engine::gen

namespace atelier::engine {

struct GenerationHandle::State {
    std::uint64_t id = 0;
    std::atomic<bool> cancelled{false};
    std::shared_ptr<gen::Signal> signal;
    mutable std::mutex mutex;
    mutable std::condition_variable cv;
    bool finished = false;
    void finish() {
        {
            std::lock_guard lock(mutex);
            finished = true;
        }
        cv.notify_all();
    }
};

struct GenerationService::Impl {
    std::unique_ptr<Model> model;
    GenerationOptions options;
    std::optional<Tokenizer> tokenizer;
    std::int64_t limit = 0;  // usable context
    MemoryPrefixCache memory;
    std::shared_ptr<gen::Signal> signal = std::make_shared<gen::Signal>();
    std::deque<std::unique_ptr<gen::Active>> queue;  // guarded by signal->mutex
    struct ModelJob {
        std::function<void(Model&)> run;
        std::promise<Result<void>> done;
    };
    std::deque<ModelJob> jobs;                       // guarded by signal->mutex
    bool stopping = false;                           // guarded by signal->mutex
    std::atomic<std::uint64_t> nextId{1};
    std::atomic<std::size_t> cacheBytes{0}, cacheEntries{0};
    std::list<std::unique_ptr<gen::Active>> active;  // scheduler thread only
    std::vector<BatchItem> batch;                    // scheduler thread only
    std::thread thread;

    Impl(std::unique_ptr<Model> m, GenerationOptions o, std::optional<Tokenizer> t);
    void run();          // the scheduler loop
    void runJobs(std::deque<ModelJob>& jobs);
    bool step();         // one forward step; false when there was nothing to run
    void start(gen::Active& a);
    void afterPrefillChunk(gen::Active& a);
    void emitToken(gen::Active& a);
    void finish(gen::Active& a, FinishReason reason);
    void fail(gen::Active& a, const Error& error);
    bool cancelled(const gen::Active& a) const;
};

}  // namespace atelier::engine
