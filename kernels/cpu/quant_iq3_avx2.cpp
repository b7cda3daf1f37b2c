// AVX2 + FMA IQ3_XXS and IQ3_S x Q8_K dot products (compiled with -mavx2 -mfma -mf16c; only
// called when the CPU has them). Per 32 elements: eight grid entries looked up into one
// register (the unsigned magnitudes), the signs applied to the activations, maddubs, and one
// madd by the sub-block scale. Same integer sums as the _ref versions.

#include "atelier/kernels/gemm_quant.h"
#include "cpu/iq_grids.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include <cstring>

namespace atelier::kernels {
namespace {

// IQ3_XXS: f16 d, qs[64], aux u32[8]. IQ3_S: f16 d, qs[64], qh[8], signs[32], scales[4].
constexpr int kXxsQs = 2, kXxsAux = 66, kXxsBytes = 98;
constexpr int kSQs = 2, kSQh = 66, kSSigns = 74, kSScales = 106, kSBytes = 110;

float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

float f16(const std::uint8_t* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// Eight grid entries (four magnitudes each): the 32 unsigned magnitudes of 32 elements.
template <typename Index>
__m256i gridEntries(const std::uint32_t* grid, const Index* idx) {
    return _mm256_setr_epi32(int(grid[idx[0]]), int(grid[idx[1]]), int(grid[idx[2]]), int(grid[idx[3]]),
                             int(grid[idx[4]]), int(grid[idx[5]]), int(grid[idx[6]]), int(grid[idx[7]]));
}

// `bits` (a u32 in every lane; bit i = element i negative) -> byte i all ones where negative.
__m256i negativeMask(__m256i bits) {
    const __m256i byteOfBit = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                               2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bitOfByte = _mm256_set1_epi64x(0x8040201008040201);
    const __m256i spread = _mm256_and_si256(_mm256_shuffle_epi8(bits, byteOfBit), bitOfByte);
    return _mm256_cmpeq_epi8(spread, bitOfByte);
}

// x negated where neg is all ones (two's complement: (x ^ -1) - (-1) = -x).
__m256i applySigns(__m256i x, __m256i neg) { return _mm256_sub_epi8(_mm256_xor_si256(x, neg), neg); }

// Lane j: (2·s_j + 1) in both 16-bit halves, ready to broadcast as an int16 madd multiplier.
__m256i oddScales(__m256i s) {
    const __m256i odd = _mm256_or_si256(_mm256_slli_epi32(s, 1), _mm256_set1_epi32(1));
    return _mm256_or_si256(odd, _mm256_slli_epi32(odd, 16));
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
    const __m256i bit = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192,
                                          16384, -32768);
    for (int q = 0; q < 4; ++q) {
        const __m256i low = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + kSQs + 16 * q)));
        const __m256i set = _mm256_cmpeq_epi16(_mm256_and_si256(_mm256_set1_epi16(short(qh >> (16 * q))), bit), bit);
        const __m256i high = _mm256_and_si256(set, _mm256_set1_epi16(256));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx + 16 * q), _mm256_or_si256(low, high));
    }
}

}  // namespace

float dot_iq3_xxs_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kXxsBytes) {
        const __m256i aux = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + kXxsAux));
        const __m256i signs = xxsSignWords(aux), scales = oddScales(_mm256_srli_epi32(aux, 28));
        __m256i sumi = _mm256_setzero_si256();
        for (int j = 0; j < 8; ++j) {
            const __m256i sel = _mm256_set1_epi32(j);
            const __m256i g = gridEntries(iq::kIq3xxsGrid, w + kXxsQs + 8 * j);
            const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].qs + 32 * j));
            const __m256i xs = applySigns(x, negativeMask(_mm256_permutevar8x32_epi32(signs, sel)));
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
        std::uint32_t nibbles;
        std::memcpy(&nibbles, w + kSScales, 4);
        const __m256i ls = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(int(nibbles)),
                                                              _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28)),
                                            _mm256_set1_epi32(15));
        const __m256i scales = oddScales(ls);
        __m256i sumi = _mm256_setzero_si256();
        for (int j = 0; j < 8; ++j) {
            std::uint32_t bits;
            std::memcpy(&bits, w + kSSigns + 4 * j, 4);
            const __m256i g = gridEntries(iq::kIq3sGrid, idx + 8 * j);
            const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b].qs + 32 * j));
            const __m256i xs = applySigns(x, negativeMask(_mm256_set1_epi32(int(bits))));
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
