#pragma once
// Encoding F32 weights into the stored formats a model file holds (the inverse of
// weight_decode.h): BF16, FP8 E4M3 with 128x128 UE8M0 block scales, and the HF release's
// I8-packed FP4 E2M1 with one UE8M0 scale per 32 elements of a row.
// Thread-safe: pure functions.

#include <cstddef>
#include <cstdint>
#include <span>

namespace atelier::engine {

// The UE8M0 power of two 2^ceil(log2(amax / maxCode)), so that amax / scale <= maxCode;
// 1 when amax is 0. Exponents are clamped to UE8M0's range.
float blockScale(float amax, float maxCode);

// [n] f32 -> [n] bf16 (round to nearest even).
void encodeBf16(std::span<const float> in, std::span<std::byte> out);

// [rows, cols] f32 -> [rows, cols] e4m3 and [ceil(rows/128), ceil(cols/128)] ue8m0.
void encodeFp8Blocks(std::span<const float> in, std::int64_t rows, std::int64_t cols,
                     std::span<std::byte> weight, std::span<std::byte> scale);

// [rows, cols] f32 -> [rows, cols/2] packed e2m1 (element 2i low nibble) and
// [rows, cols/32] ue8m0. cols must be a multiple of 32.
void encodeFp4Rows(std::span<const float> in, std::int64_t rows, std::int64_t cols,
                   std::span<std::byte> weight, std::span<std::byte> scale);

}  // namespace atelier::engine
