// AVX2 + FMA + F16C level of gemm() (compiled with those flags only: see kernels/CMakeLists.txt).
// Register tile 4 rows × 3 tokens: 12 accumulators + 3 token vectors + 1 weight vector use all
// 16 ymm registers; 7 loads per 12 FMAs.

#if defined(__x86_64__)
#include <immintrin.h>

#include <cstdint>

#include "atelier/kernels/attn_sink.h"
#include "atelier/kernels/indexer_score.h"
#include "atelier/kernels/vec_ops.h"

namespace atelier::kernels {
namespace {

struct Simd {
    using V = __m256;
    static constexpr int W = 8;
    static V zero() { return _mm256_setzero_ps(); }
    static V load(const float* p) { return _mm256_loadu_ps(p); }
    // The first n (< 8) floats; the rest read as 0 and are never touched in memory.
    static V loadTail(const float* p, int n) {
        const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes));
    }
    static V loadBf16(const std::uint16_t* p) {
        const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
        return _mm256_castsi256_ps(_mm256_slli_epi32(h, 16));
    }
    static V loadF16(const std::uint16_t* p) {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    }
    static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static V add(V a, V b) { return _mm256_add_ps(a, b); }
    static V broadcast(float v) { return _mm256_set1_ps(v); }
    static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
    static float hsum(V v) {
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        return _mm_cvtss_f32(s);
    }
};
constexpr int kTileTokens = 3;
constexpr int kAttnHeads = 4;  // attn_sink_simd.inl: 8 accumulators of the 16 registers

}  // namespace
}  // namespace atelier::kernels

#include "cpu/gemm_simd.inl"
#include "cpu/attn_sink_simd.inl"
#include "cpu/indexer_score_simd.inl"

namespace atelier::kernels {

void gemm_avx2(const WeightMatrix& w, std::int64_t rowBegin, std::int64_t rowEnd,
               const float* x, std::int64_t T, float* y, std::int64_t ldy, float* scratch) {
    gemmSimd(w, rowBegin, rowEnd, x, T, y, ldy, scratch);
}

float dot_f32_avx2(const float* a, const float* b, std::int64_t n) { return dotSimd(a, b, n); }

void axpy_f32_avx2(float alpha, const float* x, float* y, std::int64_t n) {
    axpySimd(alpha, x, y, n);
}

void attn_sink_f32_avx2(const float* q, int H, int C, const float* const* entries, std::int64_t n,
                      const float* sinks, float scale, float* z, float* o) {
    attnSinkSimd(q, H, C, entries, n, sinks, scale, z, o);
}

void indexer_score_f32_avx2(const float* q, const float* w, int nI, int cI, const float* keys,
                            std::int64_t n, float* scores) {
    indexerScoreSimd(q, w, nI, cI, keys, n, scores);
}

}  // namespace atelier::kernels
#endif
