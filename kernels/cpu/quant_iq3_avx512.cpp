// AVX-512 (F + BW) IQ3_XXS and IQ3_S x Q8_K dot products: two 32-element sub-blocks per
// instruction (compiled with -mavx512f -mavx512bw -mavx512vl; only called when the CPU has
// them). Sixteen grid entries per register, the sign bits used directly as a byte mask that
// negates the activations, maddubs, and one madd by the two sub-block scales. Same integer sums
// as the _ref versions.

#include "atelier/kernels/gemm_quant.h"
#include "cpu/iq_grids.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>

#include <cstring>

// g++ 12 flags the deliberately undefined upper lanes inside its own insert/extract intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace atelier::kernels {
namespace {

// IQ3_XXS: f16 d, qs[64], aux u32[8]. IQ3_S: f16 d, qs[64], qh[8], signs[32], scales[4].
constexpr int kXxsQs = 2, kXxsAux = 66, kXxsBytes = 98;
constexpr int kSQs = 2, kSQh = 66, kSSigns = 74, kSScales = 106, kSBytes = 110;

float f16(const std::uint8_t* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// Eight grid entries (four magnitudes each): the 32 unsigned magnitudes of 32 elements.
template <typename Index>
__m256i gridEntries(const std::uint32_t* grid, const Index* i) {
    return _mm256_setr_epi32(int(grid[i[0]]), int(grid[i[1]]), int(grid[i[2]]), int(grid[i[3]]), int(grid[i[4]]),
                             int(grid[i[5]]), int(grid[i[6]]), int(grid[i[7]]));
}

// Sixteen entries: 64 magnitudes. Built as two halves, which keeps the indices in registers.
template <typename Index>
__m512i gridEntries16(const std::uint32_t* grid, const Index* i) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(gridEntries(grid, i)), gridEntries(grid, i + 8), 1);
}

// Lane j: (2·s_j + 1) in both 16-bit halves (an int16 madd multiplier once broadcast).
__m256i oddScales(__m256i s) {
    const __m256i odd = _mm256_or_si256(_mm256_slli_epi32(s, 1), _mm256_set1_epi32(1));
    return _mm256_or_si256(odd, _mm256_slli_epi32(odd, 16));
}

// The multipliers of sub-blocks 2h (low 256 bits) and 2h + 1 (high 256 bits).
__m512i pairScales(__m256i scales, int h) {
    const __m512i pick = _mm512_inserti64x4(_mm512_set1_epi32(2 * h), _mm256_set1_epi32(2 * h + 1), 1);
    return _mm512_permutexvar_epi32(pick, _mm512_castsi256_si512(scales));
}

// IQ3_XXS: the sign words of the eight sub-blocks (lane j = aux word j): four 7-bit fields
// spread to bytes, each completed with its parity bit (an even count of negatives per 8).
__m256i xxsSignWords(__m256i aux) {
    __m256i b = _mm256_and_si256(aux, _mm256_set1_epi32(0x7f));
    b = _mm256_or_si256(b, _mm256_and_si256(_mm256_slli_epi32(aux, 1), _mm256_set1_epi32(0x7f00)));
    b = _mm256_or_si256(b, _mm256_and_si256(_mm256_slli_epi32(aux, 2), _mm256_set1_epi32(0x7f0000)));
    b = _mm256_or_si256(b, _mm256_and_si256(_mm256_slli_epi32(aux, 3), _mm256_set1_epi32(0x7f000000)));
    // bit 0 of each byte folds to the parity of that byte
    __m256i p = _mm256_xor_si256(b, _mm256_srli_epi32(b, 4));
    p = _mm256_xor_si256(p, _mm256_srli_epi32(p, 2));
    p = _mm256_xor_si256(p, _mm256_srli_epi32(p, 1));
    return _mm256_or_si256(b, _mm256_slli_epi32(_mm256_and_si256(p, _mm256_set1_epi32(0x01010101)), 7));
}

// IQ3_S: the 64 grid indices of a block, qs[t] | (bit t of qh) << 8.
void sIndices(const std::uint8_t* w, std::uint16_t idx[64]) {
    std::uint64_t qh;
    std::memcpy(&qh, w + kSQh, 8);
    for (int q = 0; q < 2; ++q) {
        const __m512i low = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + kSQs + 32 * q)));
        const auto high = __mmask32(qh >> (32 * q));
        _mm512_storeu_si512(idx + 32 * q, _mm512_mask_add_epi16(low, high, low, _mm512_set1_epi16(256)));
    }
}

// One pair of sub-blocks: sumi += maddubs(magnitudes, ±activations) · scales.
__m512i pairDot(__m512i sumi, __m512i g, const std::int8_t* act, __mmask64 negative, __m512i scales) {
    const __m512i x = _mm512_loadu_si512(act);
    const __m512i xs = _mm512_mask_sub_epi8(x, negative, _mm512_setzero_si512(), x);
    return _mm512_add_epi32(sumi, _mm512_madd_epi16(_mm512_maddubs_epi16(g, xs), scales));
}

}  // namespace

float dot_iq3_xxs_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    __m512 acc = _mm512_setzero_ps();
    alignas(32) std::uint64_t signs[4];
    for (std::int64_t b = 0; b < nb; ++b, w += kXxsBytes) {
        const __m256i aux = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + kXxsAux));
        _mm256_store_si256(reinterpret_cast<__m256i*>(signs), xxsSignWords(aux));
        const __m256i scales = oddScales(_mm256_srli_epi32(aux, 28));
        __m512i sumi = _mm512_setzero_si512();
        for (int h = 0; h < 4; ++h)
            sumi = pairDot(sumi, gridEntries16(iq::kIq3xxsGrid, w + kXxsQs + 16 * h), a[b].qs + 64 * h, signs[h],
                           pairScales(scales, h));
        acc = _mm512_fmadd_ps(_mm512_set1_ps(a[b].d * f16(w)), _mm512_cvtepi32_ps(sumi), acc);
    }
    return 0.25f * _mm512_reduce_add_ps(acc);  // db = d · (2·ls + 1) / 4
}

float dot_iq3_s_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    __m512 acc = _mm512_setzero_ps();
    alignas(64) std::uint16_t idx[64];
    for (std::int64_t b = 0; b < nb; ++b, w += kSBytes) {
        sIndices(w, idx);
        std::uint32_t nibbles;
        std::memcpy(&nibbles, w + kSScales, 4);
        const __m256i ls = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(int(nibbles)),
                                                              _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28)),
                                            _mm256_set1_epi32(15));
        const __m256i scales = oddScales(ls);
        __m512i sumi = _mm512_setzero_si512();
        for (int h = 0; h < 4; ++h) {
            std::uint64_t negative;  // bit e = element 64h + e negative
            std::memcpy(&negative, w + kSSigns + 8 * h, 8);
            sumi = pairDot(sumi, gridEntries16(iq::kIq3sGrid, idx + 16 * h), a[b].qs + 64 * h, negative,
                           pairScales(scales, h));
        }
        acc = _mm512_fmadd_ps(_mm512_set1_ps(a[b].d * f16(w)), _mm512_cvtepi32_ps(sumi), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

}  // namespace atelier::kernels

#else  // not built for AVX-512: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_iq3_xxs_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq3_xxs_q8_k_ref(w, a, nb); }
float dot_iq3_s_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq3_s_q8_k_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
