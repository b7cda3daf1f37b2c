#pragma once
// Decoding stored weights into floats, row by row, for every dtype a model file may hold:
// F32, F16, BF16, F8_E4M3 with a [ceil(out/128), ceil(in/128)] UE8M0 block-scale companion,
// E2M1x2 packed FP4 (HF release experts, "I8" in their safetensors: element 2i in the low
// nibble) with an [out, in/32] UE8M0 companion, ggml Q8_0 and ggml MXFP4 (byte j holds element
// j low, j+16 high).
// The reference forward and the tests use it; fast kernels read the formats directly.
// Thread-safe: pure functions.

#include <cstdint>
#include <span>

#include "atelier/base/result.h"
#include "atelier/engine/weight_source.h"

namespace atelier::engine {

// A matrix as stored: the weight view, plus its `.scale` companion when the format needs one.
struct StoredMatrix {
    const TensorView* weight = nullptr;
    const TensorView* scale = nullptr;  // F8_E4M3 and E2M1x2 only
    std::int64_t rows = 0;              // out
    std::int64_t cols = 0;              // in (logical elements, not bytes)
};

// Looks up `name` (and `name` with ".weight" replaced by ".scale" when the dtype needs it)
// and checks that the sizes agree with `rows` x `cols`.
Result<StoredMatrix> bindMatrix(const WeightSource& source, const std::string& name,
                                std::int64_t rows, std::int64_t cols);

// Decodes row `row` of `m` into `out` (m.cols floats).
void decodeRow(const StoredMatrix& m, std::int64_t row, float* out);

// Decodes a whole 1-D or 2-D tensor without a scale companion (norms, hc_*, ape, sinks, bias)
// into floats; I32/I64 are converted by value.
void decodeTensor(const TensorView& t, std::span<float> out);

}  // namespace atelier::engine
