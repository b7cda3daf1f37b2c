// AVX2 + FMA IQ3_XXS and IQ3_S x Q8_K dot products (compiled with -mavx2 -mfma -mf16c; only
// called when the CPU has them). Per 32 elements: eight grid entries looked up into one
// register (the unsigned magnitudes), the signs applied to the activations, maddubs, and one
// madd by the sub-block scale. Same integer sums as the _ref versions.

#include "atelier/kernels/gemm_quant.h"
#include "cpu/iq_grids.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "cpu/quant_blocks_avx2.h"
#include "cpu/simd_avx2.h"

namespace atelier::kernels {
namespace {

using avx2::f16;
using avx2::gridEntries;
using avx2::hsum;
using avx2::load256;

// IQ3_XXS: f16 d, qs[64], aux u32[8]. IQ3_S: f16 d, qs[64], qh[8], signs[32], scales[4].
constexpr int kXxsQs = 2, kXxsAux = 66, kXxsBytes = 98;
constexpr int kSQs = 2, kSQh = 66, kSSigns = 74, kSScales = 106, kSBytes = 110;

// Lane j: (2·s_j + 1) in both 16-bit halves, ready to broadcast as an int16 madd multiplier.
[[gnu::always_inline]] inline __m256i oddScales(__m256i s) { return avx2::bothHalves(avx2::oddMultipliers(s)); }

// IQ3_S: the 64 grid indices of a block, qs[t] | (bit t of qh) << 8.
void sIndices(const std::uint8_t* w, std::uint16_t idx[64]) {
    const auto qh = avx2::loadAs<std::uint64_t>(w + kSQh);
    const __m256i bit = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192,
                                          16384, -32768);
    for (int q = 0; q < 4; ++q) {
        const __m256i low = _mm256_cvtepu8_epi16(avx2::load128(w + kSQs + 16 * q));
        const __m256i set = _mm256_cmpeq_epi16(_mm256_and_si256(_mm256_set1_epi16(short(qh >> (16 * q))), bit), bit);
        const __m256i high = _mm256_and_si256(set, _mm256_set1_epi16(256));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx + 16 * q), _mm256_or_si256(low, high));
    }
}

}  // namespace

float dot_iq3_xxs_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kXxsBytes) {
        const __m256i aux = load256(w + kXxsAux);
        const __m256i signs = avx2::signBytes(aux), scales = oddScales(_mm256_srli_epi32(aux, 28));
        __m256i sumi = _mm256_setzero_si256();
        for (int j = 0; j < 8; ++j) {
            const __m256i sel = _mm256_set1_epi32(j);
            const __m256i g = gridEntries(iq::kIq3xxsGrid, w + kXxsQs + 8 * j);
            const __m256i x = load256(a[b].qs + 32 * j);
            const __m256i xs = avx2::negateWhere(x, avx2::byteMaskOfBits(_mm256_permutevar8x32_epi32(signs, sel)));
            const __m256i pairs = _mm256_maddubs_epi16(g, xs);
            sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(pairs, _mm256_permutevar8x32_epi32(scales, sel)));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(a[b].d * f16(w)), _mm256_cvtepi32_ps(sumi), acc);
    }
    return 0.25f * hsum(acc);  // db = d · (2·ls + 1) / 4
}

float dot_iq3_s_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    alignas(32) std::uint16_t idx[64];
    for (std::int64_t b = 0; b < nb; ++b, w += kSBytes) {
        sIndices(w, idx);
        const __m256i scales = oddScales(avx2::nibbleLanes(avx2::loadAs<std::uint32_t>(w + kSScales)));
        __m256i sumi = _mm256_setzero_si256();
        for (int j = 0; j < 8; ++j) {
            const std::uint32_t bits = avx2::loadAs<std::uint32_t>(w + kSSigns + 4 * j);
            const __m256i g = gridEntries(iq::kIq3sGrid, idx + 8 * j);
            const __m256i x = load256(a[b].qs + 32 * j);
            const __m256i xs = avx2::negateWhere(x, avx2::byteMaskOfBits(_mm256_set1_epi32(int(bits))));
            const __m256i pairs = _mm256_maddubs_epi16(g, xs);
            sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(pairs, _mm256_permutevar8x32_epi32(scales, _mm256_set1_epi32(j))));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(a[b].d * f16(w)), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum(acc);
}

}  // namespace atelier::kernels

#else  // not built for x86 AVX2: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_iq3_xxs_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq3_xxs_q8_k_ref(w, a, nb); }
float dot_iq3_s_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq3_s_q8_k_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
