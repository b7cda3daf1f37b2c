#pragma once
// GenerationService: one scheduler thread per loaded model that owns the Model and runs every
// request submitted to it.
// * Continuous batching: each step is one Model::forwardBatch over every decoding sequence
//   (one token each) plus at most one prefill chunk, so the weights are read once per step.
// * Chunked prefill: prompts run in chunks that end at multiples of `prefillChunk` (a multiple
//   of kPrefixBlock) counted from position 0, interleaved with the decode steps of others.
//   Because chunk ends do not depend on where a prefill started, a prefill that forks from a
//   cached prefix or resumes a cancelled one does the same arithmetic as an uninterrupted one.
// * Prefix cache: every chunk end is saved to the memory cache (MemoryPrefixCache); a request
//   forks from the longest cached prefix (memory, then the extra PrefixStore if any). A
//   cancelled prefill thereby keeps its partial cache: submitting the same prompt resumes it.
// * Context accounting: prompt + max tokens must fit min(model context, maxContext); otherwise
//   submit() fails with an Overflow error that states the numbers.
// * Cancellation: GenerationHandle::cancel() or the request's stop_token, polled before every
//   step (between prefill chunks and decode steps).
// Threads: submit()/cancel() from any thread; every callback runs on the scheduler thread and
// must not call back into the service's destructor. Each request gets either one onDone (after
// its onProgress and onToken events) or one onError, never both.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/engine/model.h"
#include "atelier/engine/prefix_cache.h"
#include "atelier/base/result.h"
#include "atelier/engine/sampler.h"
#include "atelier/engine/token_constraint.h"
#include "atelier/engine/tokenizer.h"

namespace atelier::engine {

enum class FinishReason { Stop, Length, ContextFull, Cancelled };
// "stop" (a stop token or string), "length" (max tokens), "context", "cancelled".
const char* finishReasonName(FinishReason reason);

struct GenerationUsage {
    std::int64_t promptTokens = 0;
    std::int64_t cachedTokens = 0;      // prompt tokens taken from a prefix cache
    std::int64_t completionTokens = 0;
    double prefillTokPerS = 0;          // (prompt − cached) / prefill seconds
    double decodeTokPerS = 0;           // tokens after the first / seconds after the first
};

struct GenerationResult {
    FinishReason reason = FinishReason::Stop;
    GenerationUsage usage;
    std::vector<std::int32_t> tokens;   // the generated ids
    std::string text;                   // their text (a stop string and what follows removed)
};

struct GenerationCallbacks {
    std::function<void(std::int64_t done, std::int64_t total)> onProgress;  // prompt tokens
    std::function<void(std::int32_t token, std::string_view textDelta)> onToken;
    std::function<void(const GenerationResult&)> onDone;
    std::function<void(const Error&)> onError;
    // Test hook: the logits ([V] f32) a token is sampled from, before sampling.
    std::function<void(std::span<const float> logits)> onLogits;
};

struct GenerationRequest {
    std::vector<std::int32_t> prompt;   // ≥ 1 token
    SamplingParams sampling;
    StopCondition stop;                 // stop.maxTokens: 0 runs to the context's end
    std::stop_token stopToken;          // optional, polled like cancel()
    // Optional grammar: masks the logits before every sample (see token_constraint.h).
    std::shared_ptr<TokenConstraint> constraint;
    GenerationCallbacks callbacks;
};

struct GenerationOptions {
    std::int64_t prefillChunk = 512;         // rounded up to a multiple of kPrefixBlock
    std::int64_t maxContext = 0;             // 0: the model's max_position_embeddings
    int maxBatch = 16;                       // decoding sequences per step
    std::size_t prefixCacheBytes = std::size_t(1) << 30;
    std::shared_ptr<PrefixStore> extraStore; // consulted after memory (e.g. on disk); may be null
};

class GenerationService;

// A submitted request. Copies refer to the same request; the request runs whether or not a
// handle is kept.
class GenerationHandle {
public:
    GenerationHandle() = default;
    std::uint64_t id() const;
    // Asks the scheduler to stop the request at its next step: it ends with onDone(Cancelled).
    void cancel();
    // Blocks until the request's onDone or onError has returned.
    void wait() const;
    bool finished() const;

    struct State;
    explicit GenerationHandle(std::shared_ptr<State> state) : m_state(std::move(state)) {}

private:
    std::shared_ptr<State> m_state;
};

class GenerationService {
public:
    // Starts the scheduler thread. `tokenizer` (optional) gives the token events their text and
    // stop strings their meaning.
    GenerationService(std::unique_ptr<Model> model, GenerationOptions options = {},
                      std::optional<Tokenizer> tokenizer = std::nullopt);
    // Cancels every request (each gets onDone(Cancelled), started or not) and
    // joins the scheduler thread.
    ~GenerationService();
    GenerationService(const GenerationService&) = delete;
    GenerationService& operator=(const GenerationService&) = delete;

    // Checks the request (tokens in the vocabulary, sampling values, context) and queues it.
    Result<GenerationHandle> submit(GenerationRequest request);

    const ModelConfig& config() const;
    // The usable context: min(model context, options.maxContext).
    std::int64_t contextLimit() const;
    // Memory prefix cache figures (approximate while the scheduler runs).
    std::size_t prefixCacheBytes() const;
    std::size_t prefixCacheEntries() const;

    // Runs `job` with the service's model on the scheduler thread between two steps (requests
    // wait meanwhile; their results do not change, a job's sequences being its own) and returns
    // once it has: work that needs the loaded model itself, such as a named checkpoint's
    // prefill, without loading a second copy of the weights. An error when the service is
    // shutting down, when the job throws, or when called from the scheduler thread (a
    // callback), where it would wait on itself.
    Result<void> runWithModel(std::function<void(Model&)> job);

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

}  // namespace atelier::engine
