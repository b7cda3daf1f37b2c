// AVX2 Q8_0 and MXFP4 × int8-activation kernels (gemm_q8.h), compiled with -mavx2 -mfma
// -mf16c and only called when the CPU has them.
//
// One block of 32: |w| (vpsignb w, w) times the activations with w's signs (vpsignb a, w) in
// vpmaddubsw, pairs summed to int32 by vpmaddwd, converted and FMA'd with d_w · d_a: five
// operations for 32 products, against four conversions, four multiplies and four FMAs when the
// weights are widened to f32. |w| ≤ 128 and |a| ≤ 127, so the int16 pair sums cannot saturate.
// MXFP4 blocks enter as int8 codes too (twice the E2M1 values), so they share the tiles.

#include "atelier/kernels/gemm_q8.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include "cpu/gemm_q8_avx2.inl"
#include "cpu/round_avx2.h"

namespace atelier::kernels {

void quantize_row_q8a_avx2(const float* x, std::int64_t n, BlockQ8A* out) {
    const __m256 absMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256 inf = _mm256_set1_ps(__builtin_inff());
    for (std::int64_t b = 0; b < n / kQ8Block; ++b) {
        const float* v = x + b * kQ8Block;
        BlockQ8A& o = out[b];
        __m256 bad = _mm256_setzero_ps();
        for (int i = 0; i < kQ8Block; i += 8)  // inf or NaN
            bad = _mm256_or_ps(bad, _mm256_cmp_ps(_mm256_and_ps(_mm256_loadu_ps(v + i), absMask), inf, _CMP_NLT_UQ));
        if (_mm256_movemask_ps(bad) != 0) {
            o.d = __builtin_nanf("");
            std::memset(o.qs, 0, sizeof o.qs);
            continue;
        }
        const float amax = avx2::absMax(v, kQ8Block);
        o.d = amax / 127.0f;
        avx2::roundToInt8(v, kQ8Block, amax > 0.0f ? 127.0f / amax : 0.0f, o.qs);
    }
}

void gemm_q8_0_q8a_avx2(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                        std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                        std::int64_t ldy) {
    gemmBlocks<Q8_0Blocks>(w, cols, rowBegin, rowEnd, xq, T, y, ldy);
}

void gemm_mxfp4_q8a_avx2(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                         std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                         std::int64_t ldy) {
    gemmBlocks<Mxfp4Blocks>(w, cols, rowBegin, rowEnd, xq, T, y, ldy);
}

}  // namespace atelier::kernels

#else  // not built for x86 AVX2: never dispatched here, but the symbols must exist

namespace atelier::kernels {
void quantize_row_q8a_avx2(const float* x, std::int64_t n, BlockQ8A* out) { quantize_row_q8a_ref(x, n, out); }
void gemm_q8_0_q8a_avx2(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                        std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                        std::int64_t ldy) {
    gemm_q8_0_q8a_ref(w, cols, rowBegin, rowEnd, xq, T, y, ldy);
}
void gemm_mxfp4_q8a_avx2(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                         std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                         std::int64_t ldy) {
    gemm_mxfp4_q8a_ref(w, cols, rowBegin, rowEnd, xq, T, y, ldy);
}
}  // namespace atelier::kernels

#endif
