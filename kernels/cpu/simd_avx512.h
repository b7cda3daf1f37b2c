// Small AVX-512 (F + BW) helpers shared by the AVX-512 bodies of gemm_quant.h's dot products
// (quant_*_avx512.inl): two 256-bit halves joined, per-block scale pairs, nibble runs, masked
// negation. Include only from files compiled with -mavx512f -mavx512bw -mavx512vl; internal
// linkage. Thread-safe: pure functions.
//
// Including it also silences two warnings for the rest of the file: g++ 12 flags the deliberately
// undefined lanes inside its own cast, insert, extract and broadcast intrinsics.
#pragma once

#include <immintrin.h>

#include <cstdint>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace atelier::kernels::avx512 {
namespace {

// lo in the low 256 bits, hi in the high 256.
[[gnu::always_inline]] inline __m512i join(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// 32 bytes at lo, then 32 at hi (e.g. the activations of two blocks of 32).
[[gnu::always_inline]] inline __m512i loadPair(const std::int8_t* lo, const std::int8_t* hi) {
    return join(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(lo)),
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(hi)));
}

// Lanes 0-7 s0, lanes 8-15 s1: one f32 scale per block.
[[gnu::always_inline]] inline __m512 pairScale(float s0, float s1) {
    const __m512d lo = _mm512_castpd256_pd512(_mm256_castps_pd(_mm256_set1_ps(s0)));
    return _mm512_castpd_ps(_mm512_insertf64x4(lo, _mm256_castps_pd(_mm256_set1_ps(s1)), 1));
}

// Nibble codes of 64 elements from two 16-byte runs r0 (low 128 bits) and r1: 128-bit lanes hold
// the low nibbles of r0, its high nibbles, then the same of r1 (the element order of the blocks
// of 32 and of IQ4_XS's sub-block pairs).
[[gnu::always_inline]] inline __m512i nibbleRuns(__m256i r0r1) {
    const __m512i z = _mm512_castsi256_si512(r0r1);
    const __m512i dup = _mm512_shuffle_i64x2(z, z, 0x50);  // lanes r0, r0, r1, r1
    return _mm512_and_si512(_mm512_mask_blend_epi64(0xcc, dup, _mm512_srli_epi16(dup, 4)), _mm512_set1_epi8(15));
}

// x with byte i negated where bit i of neg is set.
[[gnu::always_inline]] inline __m512i negateWhere(__m512i x, __mmask64 neg) {
    return _mm512_mask_sub_epi8(x, neg, _mm512_setzero_si512(), x);
}

}  // namespace
}  // namespace atelier::kernels::avx512
