// AVX-512 (F/BW/VL) level of gemm() (compiled with those flags: see kernels/CMakeLists.txt).
// Register tile 4 rows × 4 tokens: 16 of the 32 registers accumulate, 8 loads per 16 FMAs.

#if defined(__x86_64__)
// GCC 12's AVX-512 intrinsics read _mm256_undefined_pd(), which -Wuninitialized flags.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstdint>

#include "atelier/kernels/attn_sink.h"
#include "atelier/kernels/indexer_score.h"
#include "atelier/kernels/vec_ops.h"

namespace atelier::kernels {
namespace {

struct Simd {
    using V = __m512;
    static constexpr int W = 16;
    static V zero() { return _mm512_setzero_ps(); }
    static V load(const float* p) { return _mm512_loadu_ps(p); }
    static V loadTail(const float* p, int n) {
        return _mm512_maskz_loadu_ps(__mmask16((1u << n) - 1u), p);
    }
    static V loadBf16(const std::uint16_t* p) {
        const __m512i h = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
        return _mm512_castsi512_ps(_mm512_slli_epi32(h, 16));
    }
    static V loadF16(const std::uint16_t* p) {
        return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    }
    static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    static V add(V a, V b) { return _mm512_add_ps(a, b); }
    static V broadcast(float v) { return _mm512_set1_ps(v); }
    static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
    static float hsum(V v) {
        const __m256 lo = _mm512_castps512_ps256(v);
        const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
        const __m256 s8 = _mm256_add_ps(lo, hi);
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        return _mm_cvtss_f32(s);
    }
};
constexpr int kTileTokens = 4;
constexpr int kAttnHeads = 8;  // attn_sink_simd.inl: 16 accumulators of the 32 registers

}  // namespace
}  // namespace atelier::kernels

#include "cpu/gemm_simd.inl"
#include "cpu/attn_sink_simd.inl"
#include "cpu/indexer_score_simd.inl"

namespace atelier::kernels {

void gemm_avx512(const WeightMatrix& w, std::int64_t rowBegin, std::int64_t rowEnd,
                 const float* x, std::int64_t T, float* y, std::int64_t ldy, float* scratch) {
    gemmSimd(w, rowBegin, rowEnd, x, T, y, ldy, scratch);
}

float dot_f32_avx512(const float* a, const float* b, std::int64_t n) { return dotSimd(a, b, n); }

void axpy_f32_avx512(float alpha, const float* x, float* y, std::int64_t n) {
    axpySimd(alpha, x, y, n);
}

void attn_sink_f32_avx512(const float* q, int H, int C, const float* const* entries,
                          std::int64_t n, const float* sinks, float scale, float* z, float* o) {
    attnSinkSimd(q, H, C, entries, n, sinks, scale, z, o);
}

void indexer_score_f32_avx512(const float* q, const float* w, int nI, int cI, const float* keys,
                              std::int64_t n, float* scores) {
    indexerScoreSimd(q, w, nI, cI, keys, n, scores);
}

}  // namespace atelier::kernels
#endif
