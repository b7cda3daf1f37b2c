// The AVX-512 dot products of IQ4_NL (against BlockQ8A) and IQ4_XS (against BlockQ8K), written
// once for two levels: kVnni = false is AVX-512 F + BW (quant_iq4_avx512.cpp), kVnni = true uses
// vpdpbusd (quant_iq4_avx512vnni.cpp, compiled with -mavx512vnni as well). The VNNI intrinsics
// stand only in `if constexpr (kVnni)` branches, which the build without -mavx512vnni never
// instantiates. Include only from those two files, after checking __AVX512F__ / __AVX512BW__.
// The exported bodies are [[gnu::always_inline]], so that each function the .cpp exports is the
// body itself: compiled as a separate template instance g++ 12 allocates registers differently
// (IQ2_XXS at AVX-512 ran 1.6x slower).
//
// 64 levels per register (two IQ4_NL blocks, or two IQ4_XS sub-blocks), looked up with the byte
// shuffle. Without VNNI the signed levels meet the signed activations through maddubs on |level|
// and the activations negated where the level is negative. With VNNI the levels are looked up
// shifted by +128 (level ^ 0x80, all in 1..241) so that vpdpbusd takes them as unsigned bytes;
// the shift comes back out as 128 * sum(a): from a second vpdpbusd for IQ4_NL, from the Q8_K
// bsums for IQ4_XS. Same int32 sums as the _ref versions.

#include <immintrin.h>

#include "atelier/kernels/gemm_quant.h"
#include "cpu/iq_grids.h"
#include "cpu/quant_blocks_avx2.h"
#include "cpu/simd_avx2.h"
#include "cpu/simd_avx512.h"

namespace atelier::kernels {
namespace {

using avx2::f16;
using avx512::nibbleRuns;
using avx512::pairScale;

constexpr int kNlBytes = 18, kXsBytes = 136, kXsQs = 8;

// The 16 levels in every 128-bit lane (the byte shuffle looks up within a lane); for VNNI the
// levels + 128, as unsigned bytes.
template <bool kVnni>
[[gnu::always_inline]] inline __m512i levelTable() {
    const __m128i t = _mm_loadu_si128(reinterpret_cast<const __m128i*>(iq::kIq4nlValues));
    if constexpr (kVnni) return _mm512_broadcast_i32x4(_mm_xor_si128(t, _mm_set1_epi8(char(0x80))));
    else return _mm512_broadcast_i32x4(t);
}

// Without VNNI: sum over pairs of level * activation (int16; |pair| <= 2 * 127 * 127 cannot
// saturate).
[[gnu::always_inline]] inline __m512i levelDot16(__m512i levels, __m512i act) {
    const __m512i signedAct = avx512::negateWhere(act, _mm512_movepi8_mask(levels));
    return _mm512_maddubs_epi16(_mm512_abs_epi8(levels), signedAct);
}

// With VNNI: 128 * sum_j s_j * (sum of sub-block j's activations), in 8 int32 lanes: the bsums
// pair 2j, 2j + 1 meets s_j in both int16 halves of lane j.
[[gnu::always_inline]] inline __m256i xsShiftTerm(__m256i scales, const BlockQ8K& a) {
    const __m256i pairs = avx2::signedBothHalves(scales);
    const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums));
    return _mm256_slli_epi32(_mm256_madd_epi16(bsums, pairs), 7);
}

template <bool kVnni>
[[gnu::always_inline]] inline float nlDot(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    const __m512i table = levelTable<kVnni>(), ones16 = _mm512_set1_epi16(1);
    const __m512i shift = _mm512_set1_epi8(char(0x80)), zero = _mm512_setzero_si512();
    __m512 acc = _mm512_setzero_ps();
    std::int64_t b = 0;
    for (; b + 2 <= nb; b += 2, w += 2 * kNlBytes) {
        const __m256i runs = _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(w + kNlBytes + 2),
                                                 reinterpret_cast<const __m128i*>(w + 2));
        const __m512i levels = _mm512_shuffle_epi8(table, nibbleRuns(runs));
        const __m512i x = avx512::loadPair(a[b].qs, a[b + 1].qs);
        __m512i s;
        if constexpr (kVnni) s = _mm512_sub_epi32(_mm512_dpbusd_epi32(zero, levels, x), _mm512_dpbusd_epi32(zero, shift, x));
        else s = _mm512_madd_epi16(levelDot16(levels, x), ones16);
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), pairScale(f16(w) * a[b].d, f16(w + kNlBytes) * a[b + 1].d), acc);
    }
    return _mm512_reduce_add_ps(acc) + (b < nb ? dot_iq4_nl_q8a_avx2(w, a + b, 1) : 0.0f);
}

template <bool kVnni>
[[gnu::always_inline]] inline float xsDot(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    const __m512i table = levelTable<kVnni>(), zero = _mm512_setzero_si512();
    __m512 acc = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kXsBytes) {
        // Without VNNI the scales are madd multipliers (both int16 halves); with VNNI whole int32
        // (vpmulld) and the sum starts at minus the shift term.
        const __m256i scales = avx2::iq4xsScales(w);
        const __m512i scales512 = _mm512_castsi256_si512(kVnni ? scales : avx2::signedBothHalves(scales));
        // |sum| <= 256 * 241 * 127 * 32 < 2^31: int32 is exact
        __m512i sumi = _mm512_setzero_si512();
        if constexpr (kVnni) sumi = _mm512_sub_epi32(zero, _mm512_inserti64x4(zero, xsShiftTerm(scales, a[b]), 0));
        for (int k = 0; k < 4; ++k) {  // sub-blocks 2k and 2k + 1
            const __m512i levels = _mm512_shuffle_epi8(table, nibbleRuns(avx2::load256(w + kXsQs + 32 * k)));
            const __m512i x = _mm512_loadu_si512(a[b].qs + 64 * k);
            __m512i quads = zero;  // VNNI: level * activation summed in fours
            if constexpr (kVnni) quads = _mm512_dpbusd_epi32(zero, levels, x);
            // int32 lanes 0-7 take sub-block 2k's scale, lanes 8-15 sub-block 2k + 1's
            const __m512i pick = _mm512_inserti64x4(_mm512_set1_epi32(2 * k), _mm256_set1_epi32(2 * k + 1), 1);
            const __m512i scale = _mm512_permutexvar_epi32(pick, scales512);
            if constexpr (kVnni) sumi = _mm512_add_epi32(sumi, _mm512_mullo_epi32(quads, scale));
            else sumi = _mm512_add_epi32(sumi, _mm512_madd_epi16(levelDot16(levels, x), scale));
        }
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sumi), _mm512_set1_ps(f16(w) * a[b].d), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

}  // namespace
}  // namespace atelier::kernels
