#pragma once
// Symmetric int8 rounding of activation blocks, shared by the AVX2 quantizers (Q8_K in
// gemm_kquant_avx2.cpp, blocks of 32 in gemm_q8_avx2.cpp). Include only from files compiled with
// -mavx2; internal linkage, like decode_scalar.h. Thread-safe: pure functions.

#include <immintrin.h>

#include <cstdint>

namespace atelier::kernels::avx2 {
namespace {

// max |v[i]| over n floats (n a multiple of 8). Exact, so the same value as the scalar loop.
inline float absMax(const float* v, int n) {
    const __m256 signMask = _mm256_set1_ps(-0.0f);
    __m256 mx = _mm256_setzero_ps();
    for (int i = 0; i < n; i += 8) mx = _mm256_max_ps(_mm256_andnot_ps(signMask, _mm256_loadu_ps(v + i)), mx);
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
    return _mm_cvtss_f32(m4);
}

// out[i] = clamp(lround(v[i] · id), ±127) for n floats (n a multiple of 8): the bits of the
// scalar std::lround (ties away from zero) for finite products.
inline void roundToInt8(const float* v, int n, float id, std::int8_t* out) {
    const __m256 signMask = _mm256_set1_ps(-0.0f), half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    const __m256 idv = _mm256_set1_ps(id);
    for (int i = 0; i < n; i += 8) {
        // lround: truncate, then step away from zero when the (exact) fraction is >= 1/2.
        const __m256 r = _mm256_mul_ps(_mm256_loadu_ps(v + i), idv);
        const __m256 t = _mm256_round_ps(r, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        const __m256 frac = _mm256_andnot_ps(signMask, _mm256_sub_ps(r, t));
        const __m256 step = _mm256_or_ps(_mm256_and_ps(r, signMask), one);
        __m256 q = _mm256_add_ps(t, _mm256_and_ps(_mm256_cmp_ps(frac, half, _CMP_GE_OQ), step));
        q = _mm256_min_ps(_mm256_max_ps(q, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
        const __m256i q32 = _mm256_cvtps_epi32(q);
        const __m128i q16 = _mm_packs_epi32(_mm256_castsi256_si128(q32), _mm256_extracti128_si256(q32, 1));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), _mm_packs_epi16(q16, q16));
    }
}

}  // namespace
}  // namespace atelier::kernels::avx2
