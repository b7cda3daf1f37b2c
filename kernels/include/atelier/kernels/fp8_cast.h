#pragma once
// FP8 E4M3 (e4m3fn) block casts of activation and KV vectors, BF16 rounding of vectors and
// the FP4 E2M1 decode of the indexer keys,
// at activeIsaLevel() through the slots of cpuKernels() (kernel_table.h). A block of `block` floats (the last may be shorter) gets the
// scale s = 2^ceil(log2(max(amax, 1e-4) / 448)) stored as a UE8M0 byte, and each element the
// code e4m3(clamp(v / s, ±448)), rounded to nearest even (model spec §8.3, §10.2).
// Every level is bit-identical to the `_ref` scalar versions (they agree with the engine's
// f32ToE4m3 / e4m3ToF32 / f32ToBf16 element functions); blocks holding NaN or infinity are
// handed to the scalar code. Thread-safe: pure functions.

#include <cstdint>

namespace atelier::kernels {

// codes [n] and scales [ceil(n / block)] of x [n].
void fp8_quant_e4m3_f32(const float* x, std::int64_t n, int block, std::uint8_t* codes,
                        std::uint8_t* scales);
// x [n] = e4m3(codes[i]) · 2^(scales[i / block] − 127).
void fp8_dequant_e4m3_f32(const std::uint8_t* codes, const std::uint8_t* scales, std::int64_t n,
                          int block, float* x);
// x [n] in place: what quantizing then dequantizing gives, without the bytes.
void fp8_simulate_e4m3_f32(float* x, std::int64_t n, int block);
// x [n] in place: each value rounded to BF16 (nearest even, NaN kept quiet), back as f32.
void round_bf16_f32(float* x, std::int64_t n);
// FP4 E2M1 pairs (the indexer keys' layout): x [n] (n a multiple of 32) = e2m1(code i) ·
// 2^(scales[i / 32] − 127), code 2j the low nibble of pairs[j] and 2j + 1 the high one; a 0xff
// scale gives NaN. Exact (every value is representable), signed zeros included.
void fp4_dequant_e2m1_f32(const std::uint8_t* pairs, const std::uint8_t* scales, std::int64_t n,
                          float* x);

// Per-level bodies (fp8_cast_<level>.cpp); callers use the functions above.
void fp8_quant_e4m3_f32_ref(const float* x, std::int64_t n, int block, std::uint8_t* codes,
                            std::uint8_t* scales);
void fp8_dequant_e4m3_f32_ref(const std::uint8_t* codes, const std::uint8_t* scales,
                              std::int64_t n, int block, float* x);
void fp8_simulate_e4m3_f32_ref(float* x, std::int64_t n, int block);
void round_bf16_f32_ref(float* x, std::int64_t n);
void fp4_dequant_e2m1_f32_ref(const std::uint8_t* pairs, const std::uint8_t* scales,
                              std::int64_t n, float* x);

void fp8_quant_e4m3_f32_avx2(const float* x, std::int64_t n, int block, std::uint8_t* codes,
                             std::uint8_t* scales);
void fp8_dequant_e4m3_f32_avx2(const std::uint8_t* codes, const std::uint8_t* scales,
                               std::int64_t n, int block, float* x);
void fp8_simulate_e4m3_f32_avx2(float* x, std::int64_t n, int block);
void round_bf16_f32_avx2(float* x, std::int64_t n);
void fp4_dequant_e2m1_f32_avx2(const std::uint8_t* pairs, const std::uint8_t* scales,
                               std::int64_t n, float* x);
void fp8_dequant_e4m3_f32_avx512(const std::uint8_t* codes, const std::uint8_t* scales,
                                 std::int64_t n, int block, float* x);
void round_bf16_f32_avx512(float* x, std::int64_t n);

}  // namespace atelier::kernels
