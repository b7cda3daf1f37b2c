#pragma once
// Scalar reference products for the GGUF formats F16, Q8_0 and MXFP4, in the form of
// gemv_ref.h: rows [rowBegin, rowEnd) of W, x [T, cols] f32, y[t * ldy + (r − rowBegin)].
// Each row is decoded into rowScratch [cols], then dotted with every token (dot_f32_ref).
// Thread-safe: pure functions.

#include <cstdint>

namespace atelier::kernels {

// W f16 [rows, cols] (raw IEEE half bit patterns).
void gemm_f16_ref(const std::uint16_t* w, std::int64_t cols, std::int64_t rowBegin,
                  std::int64_t rowEnd, const float* x, std::int64_t T, float* y,
                  std::int64_t ldy, float* rowScratch);
// W ggml Q8_0: each row cols/32 blocks of {f16 d, int8 q[32]}; value d · q.
void gemm_q8_0_ref(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                   std::int64_t rowEnd, const float* x, std::int64_t T, float* y,
                   std::int64_t ldy, float* rowScratch);
// W ggml MXFP4: each row cols/32 blocks of {e8m0 e, q[16]}: element j = E2M1(q[j] & 15) · 2^(e−127),
// element j + 16 = E2M1(q[j] >> 4) · 2^(e−127).
void gemm_mxfp4_ref(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                    std::int64_t rowEnd, const float* x, std::int64_t T, float* y,
                    std::int64_t ldy, float* rowScratch);

}  // namespace atelier::kernels
