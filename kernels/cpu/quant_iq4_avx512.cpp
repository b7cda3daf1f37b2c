// AVX-512 (F + BW) dot products of IQ4_NL (against BlockQ8A) and IQ4_XS (against BlockQ8K):
// 64 levels per register (two IQ4_NL blocks, or two IQ4_XS sub-blocks), looked up with the
// byte shuffle; the signed levels meet the signed activations through maddubs on |level| and
// the activations negated where the level is negative. Compiled with -mavx512f -mavx512bw
// -mavx512vl; only called when the CPU has them. Same int32 sums as the _ref versions.

#include "atelier/kernels/gemm_quant.h"
#include "cpu/iq_grids.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>

#include <cstring>

// g++ 12 flags the deliberately undefined lanes inside its own cast, extract and broadcast
// intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace atelier::kernels {
namespace {

constexpr int kNlBytes = 18, kXsBytes = 136, kXsQs = 8;

[[gnu::always_inline]] inline float f16(const std::uint8_t* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// The 16 levels in every 128-bit lane (the byte shuffle looks up within a lane).
[[gnu::always_inline]] inline __m512i levelTable() {
    return _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(iq::kIq4nlValues)));
}

// Nibble codes of 64 elements from two 16-byte runs: 128-bit lanes hold the low nibbles of r0,
// its high nibbles, then the same of r1 (the element order of both formats).
[[gnu::always_inline]] inline __m512i nibbleRuns(__m256i r0r1) {
    const __m512i z = _mm512_castsi256_si512(r0r1);
    const __m512i dup = _mm512_shuffle_i64x2(z, z, 0x50);  // lanes r0, r0, r1, r1
    return _mm512_and_si512(_mm512_mask_blend_epi64(0xcc, dup, _mm512_srli_epi16(dup, 4)), _mm512_set1_epi8(15));
}

// sum over pairs of level * activation (int16; |pair| <= 2 * 127 * 127 cannot saturate).
[[gnu::always_inline]] inline __m512i levelDot16(__m512i levels, __m512i act) {
    const __m512i signedAct = _mm512_mask_sub_epi8(act, _mm512_movepi8_mask(levels), _mm512_setzero_si512(), act);
    return _mm512_maddubs_epi16(_mm512_abs_epi8(levels), signedAct);
}

// Lanes 0-7 s0, lanes 8-15 s1: one f32 scale per block.
[[gnu::always_inline]] inline __m512 pairScale(float s0, float s1) {
    const __m512d lo = _mm512_castpd256_pd512(_mm256_castps_pd(_mm256_set1_ps(s0)));
    return _mm512_castpd_ps(_mm512_insertf64x4(lo, _mm256_castps_pd(_mm256_set1_ps(s1)), 1));
}

// The IQ4_XS sub-block scales ls - 32 (j = 0..7), each in both int16 halves of int32 lane j so
// that madd_epi16 multiplies by it.
[[gnu::always_inline]] inline __m256i xsScalePairs(const std::uint8_t* w) {
    std::uint16_t high;
    std::uint32_t low;
    std::memcpy(&high, w + 2, 2);
    std::memcpy(&low, w + 4, 4);
    const __m256i lo = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(int(low)), _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28)), _mm256_set1_epi32(15));
    const __m256i hi = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(high), _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14)), _mm256_set1_epi32(3));
    const __m256i s = _mm256_sub_epi32(_mm256_or_si256(lo, _mm256_slli_epi32(hi, 4)), _mm256_set1_epi32(32));
    return _mm256_or_si256(_mm256_and_si256(s, _mm256_set1_epi32(0xffff)), _mm256_slli_epi32(s, 16));
}

}  // namespace

float dot_iq4_nl_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    const __m512i table = levelTable(), ones16 = _mm512_set1_epi16(1);
    __m512 acc = _mm512_setzero_ps();
    std::int64_t b = 0;
    for (; b + 2 <= nb; b += 2, w += 2 * kNlBytes) {
        const __m256i runs = _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(w + kNlBytes + 2),
                                                 reinterpret_cast<const __m128i*>(w + 2));
        const __m512i levels = _mm512_shuffle_epi8(table, nibbleRuns(runs));
        const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].qs));
        const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b + 1].qs));
        const __m512i x = _mm512_inserti64x4(_mm512_castsi256_si512(x0), x1, 1);
        const __m512i s = _mm512_madd_epi16(levelDot16(levels, x), ones16);
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), pairScale(f16(w) * a[b].d, f16(w + kNlBytes) * a[b + 1].d), acc);
    }
    return _mm512_reduce_add_ps(acc) + (b < nb ? dot_iq4_nl_q8a_avx2(w, a + b, 1) : 0.0f);
}

float dot_iq4_xs_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    const __m512i table = levelTable();
    __m512 acc = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kXsBytes) {
        const __m512i scales = _mm512_castsi256_si512(xsScalePairs(w));
        __m512i sumi = _mm512_setzero_si512();
        for (int k = 0; k < 4; ++k) {  // sub-blocks 2k and 2k + 1
            const __m512i levels = _mm512_shuffle_epi8(table, nibbleRuns(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + kXsQs + 32 * k))));
            const __m512i x = _mm512_loadu_si512(a[b].qs + 64 * k);
            // int32 lanes 0-7 take sub-block 2k's scale, lanes 8-15 sub-block 2k + 1's
            const __m512i pick = _mm512_inserti64x4(_mm512_set1_epi32(2 * k), _mm256_set1_epi32(2 * k + 1), 1);
            sumi = _mm512_add_epi32(sumi, _mm512_madd_epi16(levelDot16(levels, x), _mm512_permutexvar_epi32(pick, scales)));
        }
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sumi), _mm512_set1_ps(f16(w) * a[b].d), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

}  // namespace atelier::kernels

#else  // not built for AVX-512: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_iq4_nl_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_iq4_nl_q8a_ref(w, a, nb); }
float dot_iq4_xs_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq4_xs_q8_k_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
