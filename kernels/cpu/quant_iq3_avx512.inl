// The AVX-512 IQ3_XXS and IQ3_S x Q8_K dot products, written once for two levels: kVnni = false
// is AVX-512 F + BW (maddubs, then one madd by the two sub-block scales; quant_iq3_avx512.cpp),
// kVnni = true has vpdpbusd sum four magnitude x signed activation products per int32 lane, then
// one multiply by the scales (quant_iq3_avx512vnni.cpp, compiled with -mavx512vnni as well). The
// VNNI intrinsics stand only in `if constexpr (kVnni)` branches, which the build without
// -mavx512vnni never instantiates. Include only from those two files, after checking
// __AVX512F__ / __AVX512BW__.
// The exported bodies are [[gnu::always_inline]], so that each function the .cpp exports is the
// body itself: compiled as a separate template instance g++ 12 allocates registers differently
// (IQ2_XXS at AVX-512 ran 1.6x slower).
//
// Two 32-element sub-blocks per instruction: sixteen grid entries per register, the sign bits
// used directly as a byte mask that negates the activations. Same integer sums as the _ref
// versions.

#include <immintrin.h>

#include "atelier/kernels/gemm_quant.h"
#include "cpu/iq_grids.h"
#include "cpu/quant_blocks_avx2.h"
#include "cpu/simd_avx2.h"
#include "cpu/simd_avx512.h"

namespace atelier::kernels {
namespace {

using avx2::f16;
using avx2::gridEntries;

// IQ3_XXS: f16 d, qs[64], aux u32[8]. IQ3_S: f16 d, qs[64], qh[8], signs[32], scales[4].
constexpr int kXxsQs = 2, kXxsAux = 66, kXxsBytes = 98;
constexpr int kSQs = 2, kSQh = 66, kSSigns = 74, kSScales = 106, kSBytes = 110;

// Sixteen entries: 64 magnitudes. Built as two halves, which keeps the indices in registers.
template <typename Index>
__m512i gridEntries16(const std::uint32_t* grid, const Index* i) {
    return avx512::join(gridEntries(grid, i), gridEntries(grid, i + 8));
}

// Lane j: 2·s_j + 1, in both 16-bit halves (an int16 madd multiplier) without VNNI.
template <bool kVnni>
__m256i oddScales(__m256i s) {
    const __m256i odd = avx2::oddMultipliers(s);
    return kVnni ? odd : avx2::bothHalves(odd);
}

// The multipliers of sub-blocks 2h (low 256 bits) and 2h + 1 (high 256 bits).
__m512i pairScales(__m256i scales, int h) {
    const __m512i pick = _mm512_inserti64x4(_mm512_set1_epi32(2 * h), _mm256_set1_epi32(2 * h + 1), 1);
    return _mm512_permutexvar_epi32(pick, _mm512_castsi256_si512(scales));
}

// IQ3_S: the 64 grid indices of a block, qs[t] | (bit t of qh) << 8.
void sIndices(const std::uint8_t* w, std::uint16_t idx[64]) {
    const auto qh = avx2::loadAs<std::uint64_t>(w + kSQh);
    for (int q = 0; q < 2; ++q) {
        const __m512i low = _mm512_cvtepu8_epi16(avx2::load256(w + kSQs + 32 * q));
        const auto high = __mmask32(qh >> (32 * q));
        _mm512_storeu_si512(idx + 32 * q, _mm512_mask_add_epi16(low, high, low, _mm512_set1_epi16(256)));
    }
}

// One pair of sub-blocks: sumi += (maddubs or dpbusd)(magnitudes, ±activations) · scales.
template <bool kVnni>
__m512i pairDot(__m512i sumi, __m512i g, const std::int8_t* act, __mmask64 negative, __m512i scales) {
    const __m512i xs = avx512::negateWhere(_mm512_loadu_si512(act), negative);
    if constexpr (kVnni) return _mm512_add_epi32(sumi, _mm512_mullo_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), g, xs), scales));
    else return _mm512_add_epi32(sumi, _mm512_madd_epi16(_mm512_maddubs_epi16(g, xs), scales));
}

template <bool kVnni>
[[gnu::always_inline]] inline float xxsDot(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    __m512 acc = _mm512_setzero_ps();
    alignas(32) std::uint64_t signs[4];
    for (std::int64_t b = 0; b < nb; ++b, w += kXxsBytes) {
        const __m256i aux = avx2::load256(w + kXxsAux);
        _mm256_store_si256(reinterpret_cast<__m256i*>(signs), avx2::signBytes(aux));
        const __m256i scales = oddScales<kVnni>(_mm256_srli_epi32(aux, 28));
        __m512i sumi = _mm512_setzero_si512();
        for (int h = 0; h < 4; ++h)
            sumi = pairDot<kVnni>(sumi, gridEntries16(iq::kIq3xxsGrid, w + kXxsQs + 16 * h), a[b].qs + 64 * h, signs[h],
                                  pairScales(scales, h));
        acc = _mm512_fmadd_ps(_mm512_set1_ps(a[b].d * f16(w)), _mm512_cvtepi32_ps(sumi), acc);
    }
    return 0.25f * _mm512_reduce_add_ps(acc);  // db = d · (2·ls + 1) / 4
}

template <bool kVnni>
[[gnu::always_inline]] inline float sDot(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    __m512 acc = _mm512_setzero_ps();
    alignas(64) std::uint16_t idx[64];
    for (std::int64_t b = 0; b < nb; ++b, w += kSBytes) {
        sIndices(w, idx);
        const __m256i scales = oddScales<kVnni>(avx2::nibbleLanes(avx2::loadAs<std::uint32_t>(w + kSScales)));
        __m512i sumi = _mm512_setzero_si512();
        for (int h = 0; h < 4; ++h) {
            // bit e = element 64h + e negative
            const auto negative = avx2::loadAs<std::uint64_t>(w + kSSigns + 8 * h);
            sumi = pairDot<kVnni>(sumi, gridEntries16(iq::kIq3sGrid, idx + 16 * h), a[b].qs + 64 * h, negative,
                                  pairScales(scales, h));
        }
        acc = _mm512_fmadd_ps(_mm512_set1_ps(a[b].d * f16(w)), _mm512_cvtepi32_ps(sumi), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

}  // namespace
}  // namespace atelier::kernels
