#pragma once
// Sampler: turns one position's logits into the next token under the user's settings —
// greedy, temperature, top-k, top-p, min-p, repetition/presence/frequency penalties — with a
// seeded generator, so the same seed and settings give the same tokens. Stop conditions
// (tokens, strings, a token limit) are checked by StopCondition.
// Not thread-safe: one Sampler per sequence, used by the thread that owns the sequence.

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "atelier/base/result.h"

namespace atelier::engine {

struct SamplingParams {
    float temperature = 1.0f;     // 0: greedy
    int topK = 0;                 // 0: off
    float topP = 1.0f;            // 1: off
    float minP = 0.0f;            // 0: off; keeps tokens with p >= minP * p_max
    float repetitionPenalty = 1.0f;  // 1: off; divides positive logits, multiplies negative ones
    float presencePenalty = 0.0f;    // subtracted once from every token already generated
    float frequencyPenalty = 0.0f;   // subtracted per occurrence
    int penaltyWindow = 256;      // how many recent tokens the penalties look at (0: all)
    std::uint64_t seed = 0;

    // Rejects meaningless values (negative temperature, top-p outside (0,1], ...).
    Result<void> validate() const;
};

class Sampler {
public:
    explicit Sampler(SamplingParams params);

    // Picks the next token from `logits` ([V] f32, not modified) given the tokens generated so
    // far (penalties look at them). Deterministic for a given seed and call sequence.
    std::int32_t sample(std::span<const float> logits);

    // Records a token as generated (sample() does this itself; use for forced tokens).
    void accept(std::int32_t token);

    const SamplingParams& params() const { return m_params; }

private:
    struct Candidate {
        std::int32_t id;
        float logit;
    };
    double uniform();  // [0, 1)
    void applyPenalties(std::vector<Candidate>& c) const;

    SamplingParams m_params;
    std::uint64_t m_state;
    std::vector<std::int32_t> m_history;
    std::unordered_map<std::int32_t, int> m_counts;  // occurrences within the penalty window
    std::vector<Candidate> m_scratch;                // reused across calls: no per-token allocation
};

// Stop conditions for one generation: a token limit, stop tokens, and stop strings matched on
// the detokenized text (a string split across tokens is found).
struct StopCondition {
    int maxTokens = 0;                       // 0: unlimited (the context bounds it)
    std::vector<std::int32_t> stopTokens;    // e.g. EOS
    std::vector<std::string> stopStrings;

    enum class Reason { None, MaxTokens, StopToken, StopString };
    // `generated` is the count so far including `token`; `text` the whole generated text so
    // far, of which the last `newBytes` came with `token` (only matches ending in them are
    // searched, so a long generation costs linear time). For StopString, `*cut` receives the
    // length of `text` to keep (the stop string and what follows removed).
    Reason check(int generated, std::int32_t token, const std::string& text, std::size_t newBytes,
                 std::size_t* cut = nullptr) const;
};

}  // namespace atelier::engine
