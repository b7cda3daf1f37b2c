#pragma once
// Matrix products that read a stored weight format row by row: each weight row is decoded once
// into `rowScratch` and dotted with every token of the batch, so a multi-token chunk reads the
// weights once. Scalar reference versions; faster ISA variants go beside them.
// Rows [rowBegin, rowEnd) of W [rows, cols]; x [T, cols] f32; y[t * ldy + (r - rowBegin)].
// Thread-safe: pure functions (each caller passes its own scratch).

#include <cstdint>

namespace atelier::kernels {

float dot_f32_ref(const float* a, const float* b, std::int64_t n);

// W f32 [rows, cols].
void gemm_f32_ref(const float* w, std::int64_t cols, std::int64_t rowBegin, std::int64_t rowEnd,
                  const float* x, std::int64_t T, float* y, std::int64_t ldy);
// W bf16 [rows, cols] (raw uint16 bit patterns).
void gemm_bf16_ref(const std::uint16_t* w, std::int64_t cols, std::int64_t rowBegin,
                   std::int64_t rowEnd, const float* x, std::int64_t T, float* y,
                   std::int64_t ldy, float* rowScratch);
// W FP8 E4M3 [rows, cols] with UE8M0 block scales [ceil(rows/128), ceil(cols/128)].
void gemm_e4m3_ref(const std::uint8_t* w, const std::uint8_t* scale, std::int64_t cols,
                   std::int64_t rowBegin, std::int64_t rowEnd, const float* x, std::int64_t T,
                   float* y, std::int64_t ldy, float* rowScratch);
// W FP4 E2M1 packed [rows, cols/2] (element 2i in the low nibble) with UE8M0 scales
// [rows, cols/32].
void gemm_e2m1_ref(const std::uint8_t* w, const std::uint8_t* scale, std::int64_t cols,
                   std::int64_t rowBegin, std::int64_t rowEnd, const float* x, std::int64_t T,
                   float* y, std::int64_t ldy, float* rowScratch);

}  // namespace atelier::kernels
