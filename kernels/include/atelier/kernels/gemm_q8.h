#pragma once
// Q8_0 and MXFP4 weights against int8 activations, as llama.cpp computes them: the activations are first
// rounded to blocks of 32 (one f32 scale, 32 int8 codes), then each block's inner product is
// an exact integer sum, scaled by d_weight · d_activation and summed in f32. About half the
// instructions per weight of the f32 product (gemm.h), so decode reads the weights at close to
// memory speed; the cost is the activation rounding (about 0.4% of a product's magnitude).
//
// Every token's sums run in the same order whatever the tile and the number of tokens, so a
// token's result does not depend on the batch it is in (issue #4). The engine uses this path for
// every Q8_0 and MXFP4 product, at every token count, for that reason.
// Q8_0 weight rows: cols/32 blocks of {f16 d, int8 q[32]} (34 bytes; see gemm.h).
// Thread-safe: pure functions.

#include <cstddef>
#include <cstdint>

#include "atelier/kernels/cpu_features.h"

namespace atelier::kernels {

inline constexpr int kQ8Block = 32;  // elements per activation block

// One activation block: x[i] ~= d * qs[i], codes in [-127, 127].
struct BlockQ8A {
    float d;
    std::int8_t qs[kQ8Block];
};

// [n] f32 -> [n/32] blocks (n a multiple of 32). d = amax / 127; codes lround(x · 127 / amax)
// (ties away from zero). A block holding a NaN or an infinity gets d = NaN and zero codes, so
// every product that reads it is NaN (as the f32 product would be), never a finite number.
void quantize_row_q8a_ref(const float* x, std::int64_t n, BlockQ8A* out);
// The same bits with AVX2 (x86 builds; only called when the CPU has it).
void quantize_row_q8a_avx2(const float* x, std::int64_t n, BlockQ8A* out);
// At activeIsaLevel() (cpuKernels().quantizeQ8A).
void quantize_row_q8a(const float* x, std::int64_t n, BlockQ8A* out);

// One Q8_0 row of nb blocks against nb activation blocks.
float dot_q8_0_q8a_ref(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);

// y[t * ldy + (r - rowBegin)] = W[r] · x[t] for rows [rowBegin, rowEnd) of Q8_0 W [rows, cols]
// and xq [T, cols/32] blocks. Scalar: dot_q8_0_q8a_ref per element. AVX2 (and the AVX-512
// level without VNNI, which runs the AVX2 kernel): register tiles of up to 4 rows × 2 tokens
// that read each weight block once per tile; the same integer sums, float sums in another order.
// AVX-512 VNNI (only called when the CPU has it): two blocks per vpdpbusd, tiles of up to 4 rows
// × 4 tokens; the same integer sums again.
void gemm_q8_0_q8a_ref(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                       std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                       std::int64_t ldy);
void gemm_q8_0_q8a_avx2(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                        std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                        std::int64_t ldy);
void gemm_q8_0_q8a_avx512vnni(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                              std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                              std::int64_t ldy);
// MXFP4 weight rows (ggml: cols/32 blocks of {e8m0 scale, 16 bytes: element j low nibble, j + 16
// high}) the same way: each block enters as 32 int8 codes, twice the E2M1 values, with half the
// block's scale.
float dot_mxfp4_q8a_ref(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
void gemm_mxfp4_q8a_ref(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                        std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                        std::int64_t ldy);
void gemm_mxfp4_q8a_avx2(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                         std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                         std::int64_t ldy);
void gemm_mxfp4_q8a_avx512vnni(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                               std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                               std::int64_t ldy);
// The AVX2 tiles with AVX-VNNI (one vpdpbusd per block where AVX2 spends vpmaddubsw and
// vpmaddwd; only called when cpuFeatures().avxvnni): the same bits as the _avx2 kernels.
void gemm_q8_0_q8a_avxvnni(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                           std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                           std::int64_t ldy);
void gemm_mxfp4_q8a_avxvnni(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                            std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                            std::int64_t ldy);

// The matmul slot of `level`'s kernel table (kernel_table.h; the level must be supported by
// this CPU); the level's VNNI kernel (AVX-512 VNNI, AVX-VNNI at AVX2) when the CPU has it and
// `allowVnni` (tests and benchmarks clear it to reach the plain level).
void gemm_mxfp4_q8a(IsaLevel level, const std::uint8_t* w, std::int64_t cols,
                    std::int64_t rowBegin, std::int64_t rowEnd, const BlockQ8A* xq,
                    std::int64_t T, float* y, std::int64_t ldy, bool allowVnni = true);
void gemm_q8_0_q8a(IsaLevel level, const std::uint8_t* w, std::int64_t cols,
                   std::int64_t rowBegin, std::int64_t rowEnd, const BlockQ8A* xq,
                   std::int64_t T, float* y, std::int64_t ldy, bool allowVnni = true);

}  // namespace atelier::kernels
