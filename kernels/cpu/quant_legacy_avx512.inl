// The AVX-512 dot products of the legacy blocks of 32 (Q4_0, Q4_1, Q5_0, Q5_1) with BlockQ8A
// activations, written once for two levels: kVnni = false is AVX-512 F + BW (maddubs + madd;
// quant_legacy_avx512.cpp), kVnni = true replaces each maddubs + madd pair by one vpdpbusd
// (quant_legacy_avx512vnni.cpp, compiled with -mavx512vnni as well). The VNNI intrinsics stand
// only in `if constexpr (kVnni)` branches, which the build without -mavx512vnni never
// instantiates. Include only from those two files, after checking __AVX512F__ / __AVX512BW__.
// The exported bodies are [[gnu::always_inline]], so that each function the .cpp exports is the
// body itself: compiled as a separate template instance g++ 12 allocates registers differently
// (IQ2_XXS at AVX-512 ran 1.6x slower).
//
// Two blocks per 512-bit register, otherwise the AVX2 scheme (unsigned codes, the offset or
// minimum through the activation sum). Same int32 sums as the _ref versions.

#include <immintrin.h>

#include "atelier/kernels/gemm_quant.h"
#include "cpu/simd_avx2.h"
#include "cpu/simd_avx512.h"

namespace atelier::kernels {
namespace {

using avx2::f16;
using avx512::pairScale;

constexpr int kQ4_0Bytes = 18, kQ4_1Bytes = 20, kQ5_0Bytes = 22, kQ5_1Bytes = 24;

// Activations of blocks b and b + 1, in that order.
[[gnu::always_inline]] inline __m512i loadActPair(const BlockQ8A* a) { return avx512::loadPair(a[0].qs, a[1].qs); }

// The 64 nibble codes of two blocks in element order: 128-bit lanes are the low nibbles of qs0,
// its high nibbles, then the same of qs1.
[[gnu::always_inline]] inline __m512i nibblePair(const std::uint8_t* qs0, const std::uint8_t* qs1) {
    return avx512::nibbleRuns(_mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(qs1), reinterpret_cast<const __m128i*>(qs0)));
}

[[gnu::always_inline]] inline __m512i q4Codes(const std::uint8_t* b0, const std::uint8_t* b1, int qsAt) { return nibblePair(b0 + qsAt, b1 + qsAt); }
// The two blocks' qh words are the 64 byte-mask bits of the fifth bits (0x10).
[[gnu::always_inline]] inline __m512i q5Codes(const std::uint8_t* b0, const std::uint8_t* b1, int qsAt) {
    const __m512i low = nibblePair(b0 + qsAt, b1 + qsAt);
    const std::uint64_t qh0 = avx2::loadAs<std::uint32_t>(b0 + qsAt - 4), qh1 = avx2::loadAs<std::uint32_t>(b1 + qsAt - 4);
    return _mm512_mask_add_epi8(low, _cvtu64_mask64(qh0 | qh1 << 32), low, _mm512_set1_epi8(0x10));
}

using PairCodes = __m512i (*)(const std::uint8_t*, const std::uint8_t*, int);
using SingleDot = float (*)(const std::uint8_t*, const BlockQ8A*, std::int64_t);

// Sums of four u8 x s8 products per int32 lane: one vpdpbusd, or maddubs + madd by ones.
template <bool kVnni>
[[gnu::always_inline]] inline __m512i quadSums(__m512i u, __m512i s) {
    if constexpr (kVnni) return _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, s);
    else return _mm512_madd_epi16(_mm512_maddubs_epi16(u, s), _mm512_set1_epi16(1));
}

// Q4_0 / Q5_0: d * sum((code - offset) * a) per block. An odd last block runs the AVX2 body.
template <bool kVnni, PairCodes Codes, int kBytes, int kQs, int kOffset>
float symmetricDot(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb, SingleDot single) {
    const __m512i off = _mm512_set1_epi8(kOffset), ones16 = _mm512_set1_epi16(1);
    __m512 acc = _mm512_setzero_ps();
    std::int64_t b = 0;
    for (; b + 2 <= nb; b += 2, w += 2 * kBytes) {
        const __m512i x = loadActPair(a + b);
        // VNNI: sum((code - offset) * a) per int32 lane; otherwise per int16 pair (|pair| <= 2 * 31 *
        // 127), then added in pairs.
        __m512i s;
        if constexpr (kVnni) s = _mm512_sub_epi32(quadSums<true>(Codes(w, w + kBytes, kQs), x), quadSums<true>(off, x));
        else s = _mm512_sub_epi16(_mm512_maddubs_epi16(Codes(w, w + kBytes, kQs), x), _mm512_maddubs_epi16(off, x));
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(kVnni ? s : _mm512_madd_epi16(s, ones16)),
                              pairScale(f16(w) * a[b].d, f16(w + kBytes) * a[b + 1].d), acc);
    }
    return _mm512_reduce_add_ps(acc) + (b < nb ? single(w, a + b, 1) : 0.0f);
}

// Q4_1 / Q5_1: d * sum(code * a) + m * sum(a) per block.
template <bool kVnni, PairCodes Codes, int kBytes, int kQs>
float affineDot(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb, SingleDot single) {
    const __m512i ones8 = _mm512_set1_epi8(1);
    __m512 accD = _mm512_setzero_ps(), accM = _mm512_setzero_ps();
    std::int64_t b = 0;
    for (; b + 2 <= nb; b += 2, w += 2 * kBytes) {
        const __m512i x = loadActPair(a + b);
        const __m512i sq = quadSums<kVnni>(Codes(w, w + kBytes, kQs), x);
        const __m512i sa = quadSums<kVnni>(ones8, x);
        accD = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sq), pairScale(f16(w) * a[b].d, f16(w + kBytes) * a[b + 1].d), accD);
        accM = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sa), pairScale(f16(w + 2) * a[b].d, f16(w + kBytes + 2) * a[b + 1].d), accM);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(accD, accM)) + (b < nb ? single(w, a + b, 1) : 0.0f);
}

template <bool kVnni>
[[gnu::always_inline]] inline float dotQ4_0(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    return symmetricDot<kVnni, q4Codes, kQ4_0Bytes, 2, 8>(w, a, nb, dot_q4_0_q8a_avx2);
}
template <bool kVnni>
[[gnu::always_inline]] inline float dotQ5_0(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    return symmetricDot<kVnni, q5Codes, kQ5_0Bytes, 6, 16>(w, a, nb, dot_q5_0_q8a_avx2);
}
template <bool kVnni>
[[gnu::always_inline]] inline float dotQ4_1(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    return affineDot<kVnni, q4Codes, kQ4_1Bytes, 4>(w, a, nb, dot_q4_1_q8a_avx2);
}
template <bool kVnni>
[[gnu::always_inline]] inline float dotQ5_1(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    return affineDot<kVnni, q5Codes, kQ5_1Bytes, 8>(w, a, nb, dot_q5_1_q8a_avx2);
}

}  // namespace
}  // namespace atelier::kernels
