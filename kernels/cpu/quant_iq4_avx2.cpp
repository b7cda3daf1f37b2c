// AVX2 + FMA dot products of IQ4_NL (against BlockQ8A) and IQ4_XS (against BlockQ8K), compiled
// with -mavx2 -mfma -mf16c and only called when the CPU has them. The nibbles index the 16
// levels with one byte shuffle; the signed levels meet the signed activations through maddubs
// on |level| and the activations with the level's sign. Same int32 sums as the _ref versions.

#include "atelier/kernels/gemm_quant.h"
#include "cpu/iq_grids.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "cpu/quant_blocks_avx2.h"
#include "cpu/simd_avx2.h"

namespace atelier::kernels {
namespace {

using avx2::f16;
using avx2::hsum;
using avx2::load256;

constexpr int kNlBytes = 18, kXsBytes = 136, kXsQs = 8;

// The 16 levels in both 128-bit lanes (the byte shuffle looks up within a lane).
[[gnu::always_inline]] inline __m256i levelTable() {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(iq::kIq4nlValues)));
}

// sum over pairs of level * activation (int16; |pair| <= 2 * 127 * 127 cannot saturate).
[[gnu::always_inline]] inline __m256i levelDot16(__m256i levels, __m256i act) {
    return _mm256_maddubs_epi16(_mm256_sign_epi8(levels, levels), _mm256_sign_epi8(act, levels));
}

// The 32 levels of an IQ4_NL block in element order (low nibbles of qs[0..15], then the high).
[[gnu::always_inline]] inline __m256i nlLevels(const std::uint8_t* qs, __m256i table) {
    const __m128i q = avx2::load128(qs);
    return _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(15)));
}

// Scaled int32 sums of sub-blocks 2k and 2k + 1 of one IQ4_XS block. The 32 bytes qs[32k..]
// hold the low halves of both sub-blocks in their low nibbles (128-bit lane each) and the high
// halves in the high nibbles, so the activations are regrouped to match instead of the levels.
[[gnu::always_inline]] inline __m256i xsPair(const std::uint8_t* qs, const std::int8_t* act, __m256i table, __m256i scale) {
    const __m256i q = load256(qs);
    const __m256i low4 = _mm256_set1_epi8(15);
    const __m256i vLo = _mm256_shuffle_epi8(table, _mm256_and_si256(q, low4));
    const __m256i vHi = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(q, 4), low4));
    const __m256i a0 = load256(act), a1 = load256(act + 32);
    const __m256i aLo = _mm256_permute2x128_si256(a0, a1, 0x20), aHi = _mm256_permute2x128_si256(a0, a1, 0x31);
    return _mm256_add_epi32(_mm256_madd_epi16(levelDot16(vLo, aLo), scale), _mm256_madd_epi16(levelDot16(vHi, aHi), scale));
}

}  // namespace

float dot_iq4_nl_q8a_avx2(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    const __m256i table = levelTable(), ones16 = _mm256_set1_epi16(1);
    auto block = [&](const std::uint8_t* blk, const BlockQ8A& x) {
        const __m256i s = _mm256_madd_epi16(levelDot16(nlLevels(blk + 2, table), load256(x.qs)), ones16);
        return _mm256_cvtepi32_ps(s);
    };
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();  // two chains hide the FMA latency
    std::int64_t b = 0;
    for (; b + 2 <= nb; b += 2, w += 2 * kNlBytes) {
        acc0 = _mm256_fmadd_ps(block(w, a[b]), _mm256_set1_ps(f16(w) * a[b].d), acc0);
        acc1 = _mm256_fmadd_ps(block(w + kNlBytes, a[b + 1]), _mm256_set1_ps(f16(w + kNlBytes) * a[b + 1].d), acc1);
    }
    if (b < nb) acc0 = _mm256_fmadd_ps(block(w, a[b]), _mm256_set1_ps(f16(w) * a[b].d), acc0);
    return hsum(_mm256_add_ps(acc0, acc1));
}

float dot_iq4_xs_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    const __m256i table = levelTable();
    __m256 acc = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kXsBytes) {
        const __m256i scales = avx2::signedBothHalves(avx2::iq4xsScales(w));  // madd multipliers
        __m256i sumi = _mm256_setzero_si256();
        for (int k = 0; k < 4; ++k) {
            // int32 lanes 0-3 take sub-block 2k's scale, lanes 4-7 sub-block 2k + 1's
            const __m256i pick = _mm256_setr_epi32(2 * k, 2 * k, 2 * k, 2 * k, 2 * k + 1, 2 * k + 1, 2 * k + 1, 2 * k + 1);
            sumi = _mm256_add_epi32(sumi, xsPair(w + kXsQs + 32 * k, a[b].qs + 64 * k, table, _mm256_permutevar8x32_epi32(scales, pick)));
        }
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi), _mm256_set1_ps(f16(w) * a[b].d), acc);
    }
    return hsum(acc);
}

}  // namespace atelier::kernels

#else  // not built for AVX2: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_iq4_nl_q8a_avx2(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_iq4_nl_q8a_ref(w, a, nb); }
float dot_iq4_xs_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq4_xs_q8_k_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
