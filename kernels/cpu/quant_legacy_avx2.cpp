// AVX2 + FMA dot products of the legacy blocks of 32 (Q4_0, Q4_1, Q5_0, Q5_1) with BlockQ8A
// activations (compiled with -mavx2 -mfma -mf16c; only called when the CPU has them). One block
// per 256-bit register: the codes are unpacked as unsigned bytes and multiplied with
// maddubs; the stored offset (8 or 16) and the affine minimum both need the activation sum,
// which a second maddubs against constant bytes gives. Same int32 sums as the _ref versions.

#include "atelier/kernels/gemm_quant.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "cpu/simd_avx2.h"

namespace atelier::kernels {
namespace {

using avx2::f16;
using avx2::hsum;

constexpr int kQ4_0Bytes = 18, kQ4_1Bytes = 20, kQ5_0Bytes = 22, kQ5_1Bytes = 24;

[[gnu::always_inline]] inline __m256i loadAct(const BlockQ8A& a) { return avx2::load256(a.qs); }

// The 32 nibble codes of a block in element order (low nibbles of qs[0..15], then the high).
[[gnu::always_inline]] inline __m256i nibbles(const std::uint8_t* qs) {
    const __m128i q = avx2::load128(qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(15));
}

// 0x10 in byte j where bit j of the u32 at qh is set: the fifth bit of each Q5 code.
[[gnu::always_inline]] inline __m256i fifthBits(const std::uint8_t* qh) {
    const __m256i set = avx2::byteMaskOfBits(_mm256_set1_epi32(int(avx2::loadAs<std::uint32_t>(qh))));
    return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

[[gnu::always_inline]] inline __m256i q4Codes(const std::uint8_t* blk, int qsAt) { return nibbles(blk + qsAt); }
[[gnu::always_inline]] inline __m256i q5Codes(const std::uint8_t* blk, int qsAt) { return _mm256_or_si256(nibbles(blk + qsAt), fifthBits(blk + qsAt - 4)); }

// sum((code - offset) * a) of one block, as 8 int32 partial sums in float. The int16 pair sums
// cannot saturate: |code * a| pairs <= 31 * 127 * 2.
template <__m256i (*Codes)(const std::uint8_t*, int), int kQs, int kOffset>
[[gnu::always_inline]] inline __m256 offsetBlockSum(const std::uint8_t* blk, const BlockQ8A& x) {
    const __m256i a = loadAct(x);
    const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(Codes(blk, kQs), a),
                                       _mm256_maddubs_epi16(_mm256_set1_epi8(kOffset), a));
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p, _mm256_set1_epi16(1)));
}

// Q4_0 / Q5_0: d * sum((code - offset) * a) per block; two accumulators hide the FMA latency.
template <__m256i (*Codes)(const std::uint8_t*, int), int kBytes, int kQs, int kOffset>
float symmetricDot(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    std::int64_t b = 0;
    for (; b + 2 <= nb; b += 2, w += 2 * kBytes) {
        acc0 = _mm256_fmadd_ps(offsetBlockSum<Codes, kQs, kOffset>(w, a[b]), _mm256_set1_ps(f16(w) * a[b].d), acc0);
        acc1 = _mm256_fmadd_ps(offsetBlockSum<Codes, kQs, kOffset>(w + kBytes, a[b + 1]),
                               _mm256_set1_ps(f16(w + kBytes) * a[b + 1].d), acc1);
    }
    if (b < nb) acc0 = _mm256_fmadd_ps(offsetBlockSum<Codes, kQs, kOffset>(w, a[b]), _mm256_set1_ps(f16(w) * a[b].d), acc0);
    return hsum(_mm256_add_ps(acc0, acc1));
}

// Q4_1 / Q5_1: d * sum(code * a) + m * sum(a) per block.
template <__m256i (*Codes)(const std::uint8_t*, int), int kBytes, int kQs>
float affineDot(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
    __m256 accD = _mm256_setzero_ps(), accM = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kBytes) {
        const __m256i x = loadAct(a[b]);
        const __m256i sq = _mm256_madd_epi16(_mm256_maddubs_epi16(Codes(w, kQs), x), ones16);
        const __m256i sa = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, x), ones16);
        accD = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sq), _mm256_set1_ps(f16(w) * a[b].d), accD);
        accM = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sa), _mm256_set1_ps(f16(w + 2) * a[b].d), accM);
    }
    return hsum(_mm256_add_ps(accD, accM));
}

}  // namespace

float dot_q4_0_q8a_avx2(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return symmetricDot<q4Codes, kQ4_0Bytes, 2, 8>(w, a, nb); }
float dot_q5_0_q8a_avx2(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return symmetricDot<q5Codes, kQ5_0Bytes, 6, 16>(w, a, nb); }
float dot_q4_1_q8a_avx2(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return affineDot<q4Codes, kQ4_1Bytes, 4>(w, a, nb); }
float dot_q5_1_q8a_avx2(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return affineDot<q5Codes, kQ5_1Bytes, 8>(w, a, nb); }

}  // namespace atelier::kernels

#else  // not built for AVX2: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_q4_0_q8a_avx2(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_q4_0_q8a_ref(w, a, nb); }
float dot_q5_0_q8a_avx2(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_q5_0_q8a_ref(w, a, nb); }
float dot_q4_1_q8a_avx2(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_q4_1_q8a_ref(w, a, nb); }
float dot_q5_1_q8a_avx2(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_q5_1_q8a_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
