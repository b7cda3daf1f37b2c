// indexer_score_f32 at the AVX-512 level (Plain numerics; Release scores in integer form,
// indexer_fp4.h): four keys at a time against each head, as indexer_score_avx2.cpp does at
// AVX2. Per key it runs the operations of dot_f32_avx512 in their order (two accumulators over
// alternate 16-float chunks, then hsum of their sum) and adds the heads in order, so every
// score is the bits of the one-key loop over dot_f32_avx512. Compiled with the AVX-512 flags;
// called only when the CPU has them.

#include "atelier/kernels/indexer_score.h"

#if defined(__AVX512F__)
// GCC 12's AVX-512 intrinsics read _mm256_undefined_pd(), which -Wuninitialized flags.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "atelier/kernels/vec_ops.h"

namespace atelier::kernels {
namespace {

float hsum(__m512 v) {  // dot_f32_avx512's reduction
    const __m256 lo = _mm512_castps512_ps256(v);
    const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    const __m256 s8 = _mm256_add_ps(lo, hi);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

// w · relu(d) rounded on its own (no fusing with the running sum, as at the other levels).
float weighted(float w, float d) {
    float p = w * (d < 0.0f ? 0.0f : d);  // std::max(d, 0): NaN stays NaN
    __asm__("" : "+x"(p));
    return p;
}

// scores[0..K) for keys k[0..K) (stride cI), cI a multiple of 32.
template <int K>
void scoreKeys(const float* q, const float* w, int nI, int cI, const float* keys, float* scores) {
    float I[K];
    _Pragma("GCC unroll 4") for (int k = 0; k < K; ++k) I[k] = 0;
    for (int h = 0; h < nI; ++h) {
        const float* qh = q + std::int64_t(h) * cI;
        __m512 s0[K], s1[K];
        _Pragma("GCC unroll 4") for (int k = 0; k < K; ++k) s0[k] = _mm512_setzero_ps(), s1[k] = _mm512_setzero_ps();
        for (int i = 0; i < cI; i += 32) {
            const __m512 q0 = _mm512_loadu_ps(qh + i), q1 = _mm512_loadu_ps(qh + i + 16);
            _Pragma("GCC unroll 4") for (int k = 0; k < K; ++k) {
                const float* kk = keys + std::int64_t(k) * cI + i;
                s0[k] = _mm512_fmadd_ps(q0, _mm512_loadu_ps(kk), s0[k]);
                s1[k] = _mm512_fmadd_ps(q1, _mm512_loadu_ps(kk + 16), s1[k]);
            }
        }
        _Pragma("GCC unroll 4") for (int k = 0; k < K; ++k) {
            const float d = hsum(_mm512_add_ps(s0[k], s1[k]));
            I[k] += weighted(w[h], d);
        }
    }
    _Pragma("GCC unroll 4") for (int k = 0; k < K; ++k) scores[k] = I[k];
}

}  // namespace

void indexer_score_f32_avx512(const float* q, const float* w, int nI, int cI, const float* keys,
                              std::int64_t n, float* scores) {
    if (cI % 32 != 0) {  // dot_f32_avx512's tail path: key by key
        for (std::int64_t s = 0; s < n; ++s) {
            float I = 0;
            for (int h = 0; h < nI; ++h) {
                const float d = dot_f32_avx512(q + std::int64_t(h) * cI, keys + s * cI, cI);
                I += weighted(w[h], d);
            }
            scores[s] = I;
        }
        return;
    }
    std::int64_t s = 0;
    for (; s + 4 <= n; s += 4) scoreKeys<4>(q, w, nI, cI, keys + s * cI, scores + s);
    for (; s < n; ++s) scoreKeys<1>(q, w, nI, cI, keys + s * cI, scores + s);
}

}  // namespace atelier::kernels

#else

namespace atelier::kernels {
void indexer_score_f32_avx512(const float* q, const float* w, int nI, int cI, const float* keys,
                              std::int64_t n, float* scores) {
    indexer_score_f32_ref(q, w, nI, cI, keys, n, scores);
}
}  // namespace atelier::kernels

#endif
