#pragma once
// The block formats a GGUF file stores and how the release's weights reach them: ggml Q8_0 (as
// ggml's reference quantizer rounds), ggml MXFP4 (the release's FP4 E2M1 + UE8M0 1x32 blocks,
// repacked into ggml's nibble order), and the release's FP8 E4M3 128x128 block rounding that
// llama.cpp's converter dequantizes before re-quantizing to Q8_0.
// Thread-safe: pure functions.

#include <cstddef>
#include <cstdint>

namespace atelier::engine::gguf {

// 2^ceil(log2(amax / maxCode)): the UE8M0 block scale of the release (1 when amax is 0).
float blockScalePow2(float amax, float maxCode);

// Rounds `m` ([rows, cols] f32, row-major) in place through FP8 E4M3 with one power-of-two
// scale per 128x128 block, as the release stores its FP8 weights.
void roundTripFp8Blocks(float* m, std::int64_t rows, std::int64_t cols);

// One row of `n` values (a multiple of 32) into n/32 Q8_0 blocks of 34 bytes.
void quantizeRowQ8_0(const float* x, std::int64_t n, std::byte* out);

// One row of `n` values (a multiple of 32) into n/32 MXFP4 blocks of 17 bytes: the release's
// FP4 quantization (scale 2^ceil(log2(amax/6)), E2M1 round to nearest even) with byte j holding
// element j in the low nibble and element j+16 in the high one.
void quantizeRowMxfp4(const float* x, std::int64_t n, std::byte* out);

}  // namespace atelier::engine::gguf
