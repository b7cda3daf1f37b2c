// AVX-512 (F + BW) dot products of the legacy blocks of 32 (Q4_0, Q4_1, Q5_0, Q5_1) with
// BlockQ8A activations: two blocks per 512-bit register, otherwise the AVX2 scheme (unsigned codes
// through maddubs, the offset or minimum through the activation sum). Compiled with -mavx512f
// -mavx512bw -mavx512vl; only called when the CPU has them. Same int32 sums as the _ref versions.

#include "atelier/kernels/gemm_quant.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>

#include <cstring>

// g++ 12 flags the deliberately undefined lanes inside its own cast, extract and broadcast
// intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace atelier::kernels {
namespace {

constexpr int kQ4_0Bytes = 18, kQ4_1Bytes = 20, kQ5_0Bytes = 22, kQ5_1Bytes = 24;

[[gnu::always_inline]] inline float f16(const std::uint8_t* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

[[gnu::always_inline]] inline std::uint64_t loadU32(const std::uint8_t* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// Activations of blocks b and b + 1, in that order.
[[gnu::always_inline]] inline __m512i loadActPair(const BlockQ8A* a) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[0].qs));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[1].qs));
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// Lanes 0-7 s0, lanes 8-15 s1: one f32 scale per block.
[[gnu::always_inline]] inline __m512 pairScale(float s0, float s1) {
    const __m512d lo = _mm512_castpd256_pd512(_mm256_castps_pd(_mm256_set1_ps(s0)));
    return _mm512_castpd_ps(_mm512_insertf64x4(lo, _mm256_castps_pd(_mm256_set1_ps(s1)), 1));
}

// The 64 nibble codes of two blocks in element order: 128-bit lanes are the low nibbles of qs0,
// its high nibbles, then the same of qs1.
[[gnu::always_inline]] inline __m512i nibblePair(const std::uint8_t* qs0, const std::uint8_t* qs1) {
    const __m256i q = _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(qs1), reinterpret_cast<const __m128i*>(qs0));
    const __m512i z = _mm512_castsi256_si512(q);
    const __m512i dup = _mm512_shuffle_i64x2(z, z, 0x50);  // lanes qs0, qs0, qs1, qs1
    return _mm512_and_si512(_mm512_mask_blend_epi64(0xcc, dup, _mm512_srli_epi16(dup, 4)), _mm512_set1_epi8(15));
}

[[gnu::always_inline]] inline __m512i q4Codes(const std::uint8_t* b0, const std::uint8_t* b1, int qsAt) { return nibblePair(b0 + qsAt, b1 + qsAt); }
// The two blocks' qh words are the 64 byte-mask bits of the fifth bits (0x10).
[[gnu::always_inline]] inline __m512i q5Codes(const std::uint8_t* b0, const std::uint8_t* b1, int qsAt) {
    const __m512i low = nibblePair(b0 + qsAt, b1 + qsAt);
    const __mmask64 high = _cvtu64_mask64(loadU32(b0 + qsAt - 4) | loadU32(b1 + qsAt - 4) << 32);
    return _mm512_mask_add_epi8(low, high, low, _mm512_set1_epi8(0x10));
}

using PairCodes = __m512i (*)(const std::uint8_t*, const std::uint8_t*, int);

// Q4_0 / Q5_0: d * sum((code - offset) * a) per block. An odd last block runs the AVX2 body.
template <PairCodes Codes, int kBytes, int kQs, int kOffset>
float symmetricDot(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb,
                   float (*single)(const std::uint8_t*, const BlockQ8A*, std::int64_t)) {
    const __m512i off = _mm512_set1_epi8(kOffset), ones16 = _mm512_set1_epi16(1);
    __m512 acc = _mm512_setzero_ps();
    std::int64_t b = 0;
    for (; b + 2 <= nb; b += 2, w += 2 * kBytes) {
        const __m512i x = loadActPair(a + b);
        const __m512i p = _mm512_sub_epi16(_mm512_maddubs_epi16(Codes(w, w + kBytes, kQs), x), _mm512_maddubs_epi16(off, x));
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_madd_epi16(p, ones16)),
                              pairScale(f16(w) * a[b].d, f16(w + kBytes) * a[b + 1].d), acc);
    }
    return _mm512_reduce_add_ps(acc) + (b < nb ? single(w, a + b, 1) : 0.0f);
}

// Q4_1 / Q5_1: d * sum(code * a) + m * sum(a) per block.
template <PairCodes Codes, int kBytes, int kQs>
float affineDot(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb,
                float (*single)(const std::uint8_t*, const BlockQ8A*, std::int64_t)) {
    const __m512i ones8 = _mm512_set1_epi8(1), ones16 = _mm512_set1_epi16(1);
    __m512 accD = _mm512_setzero_ps(), accM = _mm512_setzero_ps();
    std::int64_t b = 0;
    for (; b + 2 <= nb; b += 2, w += 2 * kBytes) {
        const __m512i x = loadActPair(a + b);
        const __m512i sq = _mm512_madd_epi16(_mm512_maddubs_epi16(Codes(w, w + kBytes, kQs), x), ones16);
        const __m512i sa = _mm512_madd_epi16(_mm512_maddubs_epi16(ones8, x), ones16);
        accD = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sq), pairScale(f16(w) * a[b].d, f16(w + kBytes) * a[b + 1].d), accD);
        accM = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sa), pairScale(f16(w + 2) * a[b].d, f16(w + kBytes + 2) * a[b + 1].d), accM);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(accD, accM)) + (b < nb ? single(w, a + b, 1) : 0.0f);
}

}  // namespace

float dot_q4_0_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    return symmetricDot<q4Codes, kQ4_0Bytes, 2, 8>(w, a, nb, dot_q4_0_q8a_avx2);
}
float dot_q5_0_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    return symmetricDot<q5Codes, kQ5_0Bytes, 6, 16>(w, a, nb, dot_q5_0_q8a_avx2);
}
float dot_q4_1_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    return affineDot<q4Codes, kQ4_1Bytes, 4>(w, a, nb, dot_q4_1_q8a_avx2);
}
float dot_q5_1_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    return affineDot<q5Codes, kQ5_1Bytes, 8>(w, a, nb, dot_q5_1_q8a_avx2);
}

}  // namespace atelier::kernels

#else  // not built for AVX-512: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_q4_0_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_q4_0_q8a_ref(w, a, nb); }
float dot_q5_0_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_q5_0_q8a_ref(w, a, nb); }
float dot_q4_1_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_q4_1_q8a_ref(w, a, nb); }
float dot_q5_1_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_q5_1_q8a_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
