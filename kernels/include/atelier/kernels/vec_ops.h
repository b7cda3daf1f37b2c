#pragma once
// Vector primitives of attention with runtime ISA dispatch: the dot product of the scores and
// the weighted sum of the values. The scalar level is dot_f32_ref and a plain loop; SIMD levels
// sum in another order (agreeing to rounding). Thread-safe: pure functions.

#include <cstdint>

namespace atelier::kernels {

// a · b over n floats.
float dot_f32(const float* a, const float* b, std::int64_t n);
// y += alpha · x over n floats.
void axpy_f32(float alpha, const float* x, float* y, std::int64_t n);

// Per-level bodies (gemm_<level>.cpp); callers use the functions above.
float dot_f32_avx2(const float* a, const float* b, std::int64_t n);
void axpy_f32_avx2(float alpha, const float* x, float* y, std::int64_t n);
float dot_f32_avx512(const float* a, const float* b, std::int64_t n);
void axpy_f32_avx512(float alpha, const float* x, float* y, std::int64_t n);

}  // namespace atelier::kernels
