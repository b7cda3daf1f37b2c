// One scheduler step: cancellations, starting requests from the prefix cache, one batched
// forward (every decoding sequence plus one prefill chunk), sampling and events.
// Thread: the scheduler's only.

#include <algorithm>
#include <exception>

#include "atelier/base/log.h"
#include "generation/generation_internal.h"

namespace atelier::engine {

using gen::Active;
using gen::Clock;

namespace {

double seconds(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

}  // namespace

bool GenerationService::Impl::cancelled(const Active& a) const {
    return a.state->cancelled || a.req.stopToken.stop_requested();
}

// Forks from the longest cached prefix, leaving at least the prompt's last token to run (its
// logits give the first generated token).
void GenerationService::Impl::start(Active& a) {
    const std::int64_t maxLength = std::int64_t(a.req.prompt.size()) - 1;
    a.seq = memory.lookup(a.req.prompt, maxLength);
    if (!a.seq && options.extraStore) a.seq = options.extraStore->lookup(a.req.prompt, maxLength);
    if (!a.seq) a.seq = model->newSequence();
    a.cached = a.seq->length();
    a.prefillStart = Clock::now();
    if (a.req.callbacks.onProgress)
        a.req.callbacks.onProgress(a.cached, std::int64_t(a.req.prompt.size()));
}

void GenerationService::Impl::afterPrefillChunk(Active& a) {
    const std::int64_t len = a.seq->length(), total = std::int64_t(a.req.prompt.size());
    if (len % kPrefixBlock == 0) {
        memory.save(*a.seq);
        if (options.extraStore) options.extraStore->save(*a.seq);
    }
    if (a.req.callbacks.onProgress) a.req.callbacks.onProgress(len, total);
    if (len == total) {
        a.prefilling = false;
        emitToken(a);
    }
}

// Samples from a.logits, streams the token and decides whether the request goes on.
void GenerationService::Impl::emitToken(Active& a) {
    if (a.req.constraint) {
        const std::int64_t used = std::int64_t(a.generated.size());
        std::int64_t left = limit - std::int64_t(a.req.prompt.size()) - used;
        if (a.req.stop.maxTokens > 0) left = std::min<std::int64_t>(left, a.req.stop.maxTokens - used);
        a.req.constraint->setTokensLeft(std::max<std::int64_t>(left, 1));
        a.req.constraint->maskLogits(a.logits);
    }
    if (a.req.callbacks.onLogits) a.req.callbacks.onLogits(a.logits);
    const std::int32_t tok = a.sampler.sample(a.logits);
    if (a.req.constraint) a.req.constraint->accept(tok);
    const Clock::time_point now = Clock::now();
    if (a.generated.empty()) a.firstToken = now;
    a.lastToken = now;
    a.generated.push_back(tok);
    const std::size_t before = a.text.size();
    const std::string delta = a.detok ? a.detok->push(tok) : std::string();
    a.text += delta;
    std::size_t cut = a.text.size();
    const auto why = a.req.stop.check(int(a.generated.size()), tok, a.text, delta.size(), &cut);
    if (why == StopCondition::Reason::StopToken) cut = before;  // the stop token is not text
    if (why == StopCondition::Reason::StopString || why == StopCondition::Reason::StopToken)
        a.text.resize(std::min(cut, a.text.size()));
    const std::size_t shown = a.text.size() > before ? a.text.size() - before : 0;
    if (a.req.callbacks.onToken) a.req.callbacks.onToken(tok, std::string_view(delta).substr(0, shown));
    if (why == StopCondition::Reason::MaxTokens) return finish(a, FinishReason::Length);
    if (why != StopCondition::Reason::None) return finish(a, FinishReason::Stop);
    if (std::int64_t(a.req.prompt.size() + a.generated.size()) >= limit)
        return finish(a, FinishReason::ContextFull);
    a.next = tok;
}

void GenerationService::Impl::finish(Active& a, FinishReason reason) {
    if (a.done) return;
    a.done = true;
    if (a.detok && reason != FinishReason::Stop) a.text += a.detok->flush();
    GenerationResult r;
    r.reason = reason;
    r.usage.promptTokens = std::int64_t(a.req.prompt.size());
    r.usage.cachedTokens = a.cached;
    r.usage.completionTokens = std::int64_t(a.generated.size());
    if (!a.generated.empty()) {
        const double pre = seconds(a.prefillStart, a.firstToken);
        if (pre > 0) r.usage.prefillTokPerS = double(r.usage.promptTokens - a.cached) / pre;
        const double dec = seconds(a.firstToken, a.lastToken);
        if (dec > 0) r.usage.decodeTokPerS = double(r.usage.completionTokens - 1) / dec;
    }
    r.tokens = std::move(a.generated);
    r.text = std::move(a.text);
    a.seq.reset();
    try {
        if (a.req.callbacks.onDone) a.req.callbacks.onDone(r);
    } catch (const std::exception& e) {
        logger("engine")->error("generation {}: onDone threw: {}", a.state->id, e.what());
    }
    a.state->finish();
}

void GenerationService::Impl::fail(Active& a, const Error& error) {
    if (a.done) return;
    a.done = true;
    a.seq.reset();
    try {
        if (a.req.callbacks.onError) a.req.callbacks.onError(error);
    } catch (const std::exception& e) {
        logger("engine")->error("generation {}: onError threw: {}", a.state->id, e.what());
    }
    a.state->finish();
}

bool GenerationService::Impl::step() {
    for (auto& a : active)
        if (!a->done && cancelled(*a)) finish(*a, FinishReason::Cancelled);
    batch.clear();
    std::vector<Active*> members;
    Active* prefill = nullptr;
    int decoding = 0;
    for (auto& a : active) {
        if (a->done) continue;
        if (a->prefilling) {
            if (!prefill) prefill = a.get();  // one prefill chunk per step, first come first
        } else if (decoding < options.maxBatch) {
            ++decoding;
            batch.push_back(BatchItem{&*a->seq, std::span<const std::int32_t>(&a->next, 1),
                                      LogitsRequest::Last, &a->logits});
            members.push_back(a.get());
        }
    }
    try {
        if (prefill) {
            members.push_back(prefill);
            if (!prefill->seq) start(*prefill);
            // Chunks end at multiples of the chunk size from position 0, wherever they start.
            const std::int64_t len = prefill->seq->length(), total = std::int64_t(prefill->req.prompt.size());
            const std::int64_t end = std::min(total, (len / options.prefillChunk + 1) * options.prefillChunk);
            batch.push_back(BatchItem{&*prefill->seq,
                                      std::span<const std::int32_t>(prefill->req.prompt).subspan(
                                          std::size_t(len), std::size_t(end - len)),
                                      LogitsRequest::Last, &prefill->logits});
        }
        if (batch.empty()) return false;
        auto r = model->forwardBatch(batch);
        if (!r) {
            for (Active* a : members) fail(*a, r.error());
            return true;
        }
        for (Active* a : members) {
            if (a == prefill) afterPrefillChunk(*a);
            else emitToken(*a);
        }
    } catch (const std::exception& e) {
        const Error err = Error::internal(std::string("generate: ") + e.what());
        for (Active* a : members) fail(*a, err);
    }
    return true;
}

}  // namespace atelier::engine
