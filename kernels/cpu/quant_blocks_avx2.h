// Block fields of gemm_quant.h's formats unpacked with AVX2 (128/256-bit) ops, shared by each
// format's AVX2 body (quant_*_avx2.cpp) and its AVX-512 body (quant_*_avx512.inl): Q3_K and
// IQ4_XS scales, IQ3 grid entries, IQ2 grid rows, IQ1 grid indices and IQ1_M scales. Layouts in
// gemm_quant.h. Include only from files compiled with -mavx2 -mfma -mf16c; internal linkage.
// Thread-safe: pure functions.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "cpu/iq_grids.h"
#include "cpu/simd_avx2.h"

namespace atelier::kernels::avx2 {
namespace {

// ---- Q3_K ----------------------------------------------------------------------------------

// The sixteen 6-bit scales minus 32 as int8: low nibbles of bytes 0..7 (scales 0..7), their
// high nibbles (8..15), top two bits of scale i in bits 2·(i/4) of byte 8 + i % 4.
[[gnu::always_inline]] inline __m128i q3kScales(const std::uint8_t* s) {
    std::uint64_t lowBytes;
    std::uint32_t topBytes;
    std::memcpy(&lowBytes, s, 8);
    std::memcpy(&topBytes, s + 8, 4);
    const __m128i m4 = _mm_set1_epi8(15);
    const __m128i lo = _mm_cvtsi64_si128(static_cast<long long>(lowBytes));
    const __m128i nibbles = _mm_unpacklo_epi64(_mm_and_si128(lo, m4), _mm_and_si128(_mm_srli_epi16(lo, 4), m4));
    // u32 lane c (scales 4c..4c+3) takes the top bytes shifted right by 2c.
    const __m128i top = _mm_and_si128(_mm_srlv_epi32(_mm_set1_epi32(int(topBytes)), _mm_setr_epi32(0, 2, 4, 6)),
                                      _mm_set1_epi8(3));
    return _mm_sub_epi8(_mm_or_si128(nibbles, _mm_slli_epi16(top, 4)), _mm_set1_epi8(32));
}

// ---- IQ4_XS --------------------------------------------------------------------------------

// Sub-block j's scale ls - 32 in dword j, from the block's scales_h (bytes 2..3) and scales_l
// (bytes 4..7).
[[gnu::always_inline]] inline __m256i iq4xsScales(const std::uint8_t* w) {
    const std::uint16_t high = loadAs<std::uint16_t>(w + 2);
    const __m256i lo = nibbleLanes(loadAs<std::uint32_t>(w + 4));
    const __m256i hi = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(high), _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14)), _mm256_set1_epi32(3));
    return _mm256_sub_epi32(_mm256_or_si256(lo, _mm256_slli_epi32(hi, 4)), _mm256_set1_epi32(32));
}

// Each dword's (signed) int16 value in both of its halves, so that madd_epi16 multiplies by it.
[[gnu::always_inline]] inline __m256i signedBothHalves(__m256i s) {
    return _mm256_or_si256(_mm256_and_si256(s, _mm256_set1_epi32(0xffff)), _mm256_slli_epi32(s, 16));
}

// ---- IQ3_XXS / IQ3_S -----------------------------------------------------------------------

// Eight grid entries (four magnitudes each): the 32 unsigned magnitudes of 32 elements. Not
// forced inline: g++ 12 keeps it a call in the AVX-512 bodies, as it was written there.
template <typename Index>
__m256i gridEntries(const std::uint32_t* grid, const Index* i) {
    return _mm256_setr_epi32(int(grid[i[0]]), int(grid[i[1]]), int(grid[i[2]]), int(grid[i[3]]), int(grid[i[4]]),
                             int(grid[i[5]]), int(grid[i[6]]), int(grid[i[7]]));
}

// ---- IQ2_XXS / IQ2_XS / IQ2_S --------------------------------------------------------------

// Grid entries a, b, c, d of `grid` as 32 bytes (a in bytes 0..7): broadcast loads and blends
// (no shuffle port).
[[gnu::always_inline]] inline __m256i gridQuad(const std::uint64_t* grid, std::size_t a, std::size_t b, std::size_t c,
                                               std::size_t d) {
    const __m256i ab = _mm256_blend_epi32(_mm256_set1_epi64x(std::int64_t(grid[a])),
                                          _mm256_set1_epi64x(std::int64_t(grid[b])), 0x0c);
    const __m256i cd = _mm256_blend_epi32(_mm256_set1_epi64x(std::int64_t(grid[c])),
                                          _mm256_set1_epi64x(std::int64_t(grid[d])), 0xc0);
    return _mm256_blend_epi32(ab, cd, 0xf0);
}

// IQ2_S: the grid entries of sub-block j of the block at blk: index of group i = qs byte | bits
// 2i..2i+1 of the sub-block's qh byte, at bits 8..9.
[[gnu::always_inline]] inline __m256i iq2sGrid(const std::uint8_t* blk, int j) {
    constexpr int kQs = 2, kQh = 66;
    const std::uint32_t q = loadAs<std::uint32_t>(blk + kQs + 4 * j), h = blk[kQh + j];
    return gridQuad(iq::kIq2sGrid, (q & 255) | ((h << 8) & 0x300), ((q >> 8) & 255) | ((h << 6) & 0x300),
                    ((q >> 16) & 255) | ((h << 4) & 0x300), (q >> 24) | ((h << 2) & 0x300));
}

// ---- IQ1_S / IQ1_M -------------------------------------------------------------------------

// Four 16-bit grid indices per 128-bit half -> quads[0..1] (general registers, not the stack).
[[gnu::always_inline]] inline void toQuads(__m128i v, std::uint64_t* quads) {
    quads[0] = std::uint64_t(_mm_cvtsi128_si64(v));
    quads[1] = std::uint64_t(_mm_extract_epi64(v, 1));
}

// 16-bit lanes 4k + i of `words` hold a word whose 3-bit field i (bits 3i..3i+2) is wanted: a
// multiply by 2^(9 - 3i) moves it to bits 9..11 (AVX2 has no per-lane 16-bit shift).
inline __m256i fieldsAt9(__m256i words) {
    const __m256i mul = _mm256_set1_epi64x(0x0001000800400200);  // 512, 64, 8, 1
    return _mm256_and_si256(_mm256_mullo_epi16(words, mul), _mm256_set1_epi16(0x0e00));
}

// IQ1_S grid indices qs[g] | ((qh[g / 4] >> 3·(g % 4)) & 7) << 8; quads[j]: sub-block j's four.
// qh: the block's eight u16 (bytes 34..49).
inline void iq1sIndices(const std::uint8_t* w, __m128i qh, std::uint64_t* quads) {
    constexpr int kQs = 2;
    const __m128i lo = _mm_unpacklo_epi16(qh, qh), hi = _mm_unpackhi_epi16(qh, qh);
    const __m256i words[2] = {_mm256_set_m128i(_mm_unpackhi_epi32(lo, lo), _mm_unpacklo_epi32(lo, lo)),
                              _mm256_set_m128i(_mm_unpackhi_epi32(hi, hi), _mm_unpacklo_epi32(hi, hi))};
    for (int h = 0; h < 2; ++h) {
        const __m256i q = _mm256_cvtepu8_epi16(load128(w + kQs + 16 * h));
        const __m256i idx = _mm256_or_si256(q, _mm256_srli_epi16(fieldsAt9(words[h]), 1));
        toQuads(_mm256_castsi256_si128(idx), quads + 4 * h);
        toQuads(_mm256_extracti128_si256(idx, 1), quads + 4 * h + 2);
    }
}

// IQ1_M: the grid indices of the 32 groups into quads (groups 4k..4k+3 in quads[k]); returns
// byte g = 3 where group g's shift is +1/8 (bit 3 of its qh nibble clear), else 0.
inline __m256i iq1mIndices(const std::uint8_t* w, std::uint64_t* quads) {
    constexpr int kQh = 32;
    const __m128i low4 = _mm_set1_epi8(15), qh = load128(w + kQh);
    const __m128i lo = _mm_and_si128(qh, low4), hi = _mm_and_si128(_mm_srli_epi16(qh, 4), low4);
    const __m128i nib[2] = {_mm_unpacklo_epi8(lo, hi), _mm_unpackhi_epi8(lo, hi)};  // group order
    for (int h = 0; h < 2; ++h) {
        const __m128i qs = load128(w + 16 * h), top = _mm_and_si128(nib[h], _mm_set1_epi8(7));
        toQuads(_mm_unpacklo_epi8(qs, top), quads + 4 * h);
        toQuads(_mm_unpackhi_epi8(qs, top), quads + 4 * h + 2);
    }
    const __m256i nibbles = _mm256_set_m128i(nib[1], nib[0]);
    const __m256i plus = _mm256_cmpeq_epi8(_mm256_and_si256(nibbles, _mm256_set1_epi8(8)), _mm256_setzero_si256());
    return _mm256_and_si256(plus, _mm256_set1_epi8(3));
}

// IQ1_M: int16 lane p holds ls = 2·s + 1 of group pair p (3-bit field p % 4 of scale word p / 4).
inline __m256i iq1mScales(const std::uint8_t* w) {
    constexpr int kScales = 48;
    std::int64_t sc;
    std::memcpy(&sc, w + kScales, 8);
    const __m256i spread = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3,  //
                                            4, 5, 4, 5, 4, 5, 4, 5, 6, 7, 6, 7, 6, 7, 6, 7);
    const __m256i words = _mm256_shuffle_epi8(_mm256_set1_epi64x(sc), spread);
    return _mm256_or_si256(_mm256_srli_epi16(fieldsAt9(words), 8), _mm256_set1_epi16(1));
}

// IQ1_M: the block's f16 d, spread over the top nibbles of the four scale words.
inline float iq1mD(const std::uint8_t* w) {
    constexpr int kScales = 48;
    std::uint16_t s[4];
    std::memcpy(s, w + kScales, 8);
    const auto dh = std::uint16_t((s[0] >> 12) | ((s[1] >> 8) & 0x00f0) | ((s[2] >> 4) & 0x0f00) | (s[3] & 0xf000));
    return _cvtsh_ss(dh);
}

}  // namespace
}  // namespace atelier::kernels::avx2
