// GenerationService: the public API (submit, handles) and the scheduler thread's loop; one
// step of the scheduler is in generation_scheduler.cpp.

#include "atelier/engine/generation_service.h"

#include <algorithm>

#include "atelier/base/log.h"
#include "generation/generation_internal.h"

namespace atelier::engine {

const char* finishReasonName(FinishReason reason) {
    switch (reason) {
    case FinishReason::Stop: return "stop";
    case FinishReason::Length: return "length";
    case FinishReason::ContextFull: return "context";
    case FinishReason::Cancelled: return "cancelled";
    }
    return "?";
}

std::uint64_t GenerationHandle::id() const { return m_state ? m_state->id : 0; }

void GenerationHandle::cancel() {
    if (!m_state) return;
    m_state->cancelled = true;
    m_state->signal->notify();
}

void GenerationHandle::wait() const {
    if (!m_state) return;
    std::unique_lock lock(m_state->mutex);
    m_state->cv.wait(lock, [&] { return m_state->finished; });
}

bool GenerationHandle::finished() const {
    if (!m_state) return true;
    std::lock_guard lock(m_state->mutex);
    return m_state->finished;
}

GenerationService::Impl::Impl(std::unique_ptr<Model> m, GenerationOptions o,
                              std::optional<Tokenizer> t)
    : model(std::move(m)), options(std::move(o)), tokenizer(std::move(t)),
      memory(options.prefixCacheBytes) {
    const std::int64_t ctx = model->config().maxPositionEmbeddings;
    limit = options.maxContext > 0 ? std::min(ctx, options.maxContext) : ctx;
    const std::int64_t chunk = std::max<std::int64_t>(options.prefillChunk, 1);
    options.prefillChunk = (chunk + kPrefixBlock - 1) / kPrefixBlock * kPrefixBlock;
    options.maxBatch = std::max(options.maxBatch, 1);
}

GenerationService::GenerationService(std::unique_ptr<Model> model, GenerationOptions options,
                                     std::optional<Tokenizer> tokenizer)
    : m_impl(std::make_unique<Impl>(std::move(model), std::move(options), std::move(tokenizer))) {
    m_impl->thread = std::thread([impl = m_impl.get()] { impl->run(); });
}

GenerationService::~GenerationService() {
    {
        std::lock_guard lock(m_impl->signal->mutex);
        m_impl->stopping = true;
    }
    m_impl->signal->cv.notify_all();
    m_impl->thread.join();
}

const ModelConfig& GenerationService::config() const { return m_impl->model->config(); }
std::int64_t GenerationService::contextLimit() const { return m_impl->limit; }
std::size_t GenerationService::prefixCacheBytes() const { return m_impl->cacheBytes; }
std::size_t GenerationService::prefixCacheEntries() const { return m_impl->cacheEntries; }

namespace {

Result<void> checkContext(const GenerationRequest& r, std::int64_t limit, std::int64_t modelCtx,
                          std::int64_t configured) {
    const std::int64_t p = std::int64_t(r.prompt.size()), m = r.stop.maxTokens;
    const bool fits = m > 0 ? p + m <= limit : p < limit;
    if (fits) return {};
    std::string need = m > 0 ? std::to_string(p + m) + " tokens (prompt " + std::to_string(p) +
                                   " + max tokens " + std::to_string(m) + ")"
                             : std::to_string(p + 1) + " tokens (prompt " + std::to_string(p) +
                                   " + at least 1 generated)";
    std::string holds = "the context holds " + std::to_string(limit) + " (model context " +
                        std::to_string(modelCtx);
    if (configured > 0) holds += ", configured maximum " + std::to_string(configured);
    return unexpected(Error{ErrorCode::Overflow,
                            "generate: the request needs " + need + " but " + holds + ")"});
}

}  // namespace

Result<GenerationHandle> GenerationService::submit(GenerationRequest request) {
    Impl& I = *m_impl;
    const std::int64_t V = I.model->config().vocabSize;
    if (request.prompt.empty()) return unexpected(Error::usage("generate: an empty prompt"));
    for (std::size_t i = 0; i < request.prompt.size(); ++i)
        if (request.prompt[i] < 0 || request.prompt[i] >= V)
            return unexpected(Error::badInput(
                "generate: prompt token " + std::to_string(request.prompt[i]) + " at index " +
                std::to_string(i) + " is outside the vocabulary [0, " + std::to_string(V) + ")"));
    ATELIER_TRY_VOID(request.sampling.validate());
    if (request.stop.maxTokens < 0)
        return unexpected(Error::usage("generate: max tokens must be >= 0"));
    ATELIER_TRY_VOID(checkContext(request, I.limit, I.model->config().maxPositionEmbeddings,
                                  I.options.maxContext));

    auto state = std::make_shared<GenerationHandle::State>();
    state->id = I.nextId++;
    state->signal = I.signal;
    Sampler sampler(request.sampling);
    auto a = std::make_unique<gen::Active>(
        gen::Active{state, std::move(request), std::move(sampler), std::nullopt, std::nullopt});
    if (I.tokenizer) a->detok.emplace(*I.tokenizer);
    {
        std::lock_guard lock(I.signal->mutex);
        if (I.stopping) return unexpected(Error{ErrorCode::Cancelled, "generate: shutting down"});
        I.queue.push_back(std::move(a));
        I.signal->dirty = true;
    }
    I.signal->cv.notify_all();
    return GenerationHandle(std::move(state));
}

Result<void> GenerationService::runWithModel(std::function<void(Model&)> job) {
    Impl& I = *m_impl;
    if (std::this_thread::get_id() == I.thread.get_id())
        return unexpected(Error::internal("runWithModel: called from the scheduler thread"));
    Impl::ModelJob j{std::move(job), {}};
    std::future<Result<void>> done = j.done.get_future();
    {
        std::lock_guard lock(I.signal->mutex);
        if (I.stopping) return unexpected(Error{ErrorCode::Cancelled, "runWithModel: shutting down"});
        I.jobs.push_back(std::move(j));
        I.signal->dirty = true;
    }
    I.signal->cv.notify_all();
    return done.get();
}

void GenerationService::Impl::runJobs(std::deque<ModelJob>& taken) {
    for (ModelJob& j : taken) {
        try {
            j.run(*model);
            j.done.set_value({});
        } catch (const std::exception& e) {
            j.done.set_value(unexpected(Error::internal(std::string("runWithModel: ") + e.what())));
        }
    }
    taken.clear();
}

void GenerationService::Impl::run() {
    for (;;) {
        bool stop = false;
        std::deque<ModelJob> taken;
        {
            std::unique_lock lock(signal->mutex);
            signal->cv.wait(lock, [&] {
                return stopping || signal->dirty || !queue.empty() || !active.empty() || !jobs.empty();
            });
            signal->dirty = false;
            stop = stopping;
            while (!queue.empty()) {
                active.push_back(std::move(queue.front()));
                queue.pop_front();
            }
            taken.swap(jobs);
        }
        if (stop) {
            for (auto& a : active) finish(*a, FinishReason::Cancelled);
            active.clear();
            for (ModelJob& j : taken)
                j.done.set_value(unexpected(Error{ErrorCode::Cancelled, "runWithModel: shutting down"}));
            return;
        }
        runJobs(taken);
        step();
        active.remove_if([](const auto& a) { return a->done; });
        cacheBytes = memory.bytes();
        cacheEntries = memory.entries();
    }
}

}  // namespace atelier::engine
