#pragma once
// Vector primitives of attention: the dot product of the scores and the weighted sum of the
// values, one body per level; the kernel table (kernel_table.h) holds the level's pair. The
// scalar level is dot_f32_ref and axpy_f32_ref; SIMD levels sum in another order (agreeing to
// rounding). Thread-safe: pure functions.

#include <cstdint>

namespace atelier::kernels {

// a · b over n floats, at activeIsaLevel() (cpuKernels().dot).
float dot_f32(const float* a, const float* b, std::int64_t n);
// y += alpha · x over n floats, at activeIsaLevel() (cpuKernels().axpy).
void axpy_f32(float alpha, const float* x, float* y, std::int64_t n);

// Per-level bodies (dot_f32_ref is in gemv_ref.h; the SIMD ones in gemm_<level>.cpp).
void axpy_f32_ref(float alpha, const float* x, float* y, std::int64_t n);
float dot_f32_avx2(const float* a, const float* b, std::int64_t n);
void axpy_f32_avx2(float alpha, const float* x, float* y, std::int64_t n);
float dot_f32_avx512(const float* a, const float* b, std::int64_t n);
void axpy_f32_avx512(float alpha, const float* x, float* y, std::int64_t n);

}  // namespace atelier::kernels
