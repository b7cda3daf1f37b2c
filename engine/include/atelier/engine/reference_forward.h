#pragma once
// The reference forward: a plain, slow, obviously-correct DeepSeek V4 forward pass in double
// precision, written straight from the model spec (§2–§8, whole-prompt prefill as in §7.1).
// It is the executable specification the fast forward is tested against; never used on a
// hot path. MTP is not part of the logits.
// Thread-safe: a pure function of its arguments (the weights are only read).

#include <cstdint>
#include <span>
#include <vector>

#include "atelier/engine/numerics.h"
#include "atelier/base/result.h"
#include "atelier/engine/weight_source.h"

namespace atelier::engine {

struct ReferenceOptions {
    // Release: simulate the release's FP8/FP4 casts and BF16 roundings (see
    // engine/src/reference/reference_math.h for the exact list); Plain: all double.
    Numerics numerics = Numerics::Release;
};

// Logits [T][V] for every position of `tokens` (a whole prompt from position 0), computed in
// double from the decoded weights (any stored format weight_decode.h reads), returned as float.
// Errors: an empty prompt, a token outside the vocabulary, a missing or misshapen tensor, or a
// config the reference cannot run (it names the field or tensor).
Result<std::vector<std::vector<float>>> referenceForward(const WeightSource& weights,
                                                         std::span<const std::int32_t> tokens,
                                                         const ReferenceOptions& options);

}  // namespace atelier::engine
