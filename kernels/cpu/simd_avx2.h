// Small AVX2 helpers shared by the integer dot products of gemm_quant.h: f16 loads, horizontal
// sums, bits spread to byte masks, sign application and the i-quants' odd scale multipliers.
// Used by the quant_*_avx2.cpp bodies and by the AVX-512 bodies (quant_*_avx512.inl), which are
// compiled with the AVX2 flags too. Include only from files compiled with -mavx2 -mfma -mf16c;
// internal linkage, like round_avx2.h. Thread-safe: pure functions.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace atelier::kernels::avx2 {
namespace {

// IEEE half at p -> float, exact (as kq::halfToFloat).
[[gnu::always_inline]] inline float f16(const std::uint8_t* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// The sum of the eight lanes: lane pairs (i, i + 4), then (i, i + 2), then (0, 1).
[[gnu::always_inline]] inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

[[gnu::always_inline]] inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
[[gnu::always_inline]] inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// An unaligned little-endian integer of type T at p.
template <class T>
[[gnu::always_inline]] inline T loadAs(const std::uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Byte masks, 0xff where the bit is set, of 32 bits: byte i tests bit i % 8 of byte 4·(J % 4) +
// i / 8 of its 128-bit lane of `quarter` (for J = 0 and a u32 in every dword, bit i of it).
template <int J = 0>
[[gnu::always_inline]] inline __m256i byteMaskOfBits(__m256i quarter) {
    constexpr std::int64_t kOnes = 0x0101010101010101, b = 4 * (J % 4);
    const __m256i spread = _mm256_set_epi64x(kOnes * (b + 3), kOnes * (b + 2), kOnes * (b + 1), kOnes * b);
    const __m256i bit = _mm256_set1_epi64x(std::int64_t(0x8040201008040201));
    const __m256i bytes = _mm256_shuffle_epi8(quarter, spread);
    return _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
}

// x negated where neg is all ones (two's complement: (x ^ -1) - (-1) = -x).
[[gnu::always_inline]] inline __m256i negateWhere(__m256i x, __m256i neg) {
    return _mm256_sub_epi8(_mm256_xor_si256(x, neg), neg);
}

// Bit 7 of each byte of b (whose bits 0..6 hold stored signs) := the parity of bits 0..6, so the
// negatives of each group of 8 are even in number (iq::signs8()). The shifts cross into the next
// byte only above bit 0, which is masked off.
inline __m256i withParity(__m256i b) {
    __m256i p = _mm256_xor_si256(b, _mm256_srli_epi32(b, 4));
    p = _mm256_xor_si256(p, _mm256_srli_epi32(p, 2));
    p = _mm256_xor_si256(p, _mm256_srli_epi32(p, 1));
    return _mm256_or_si256(b, _mm256_slli_epi32(_mm256_and_si256(p, _mm256_set1_epi8(1)), 7));
}

// IQ2_XXS / IQ3_XXS: the sign bytes of four groups of 8 per dword of aux (the 7-bit field
// 7i..7i+6 to byte i, completed with its parity bit).
inline __m256i signBytes(__m256i aux) {
    const __m256i m7 = _mm256_set1_epi32(0x7f);
    __m256i b = _mm256_and_si256(aux, m7);
    b = _mm256_or_si256(b, _mm256_and_si256(_mm256_slli_epi32(aux, 1), _mm256_slli_epi32(m7, 8)));
    b = _mm256_or_si256(b, _mm256_and_si256(_mm256_slli_epi32(aux, 2), _mm256_slli_epi32(m7, 16)));
    b = _mm256_or_si256(b, _mm256_and_si256(_mm256_slli_epi32(aux, 3), _mm256_slli_epi32(m7, 24)));
    return withParity(b);
}

// Dword j: nibble j of v.
[[gnu::always_inline]] inline __m256i nibbleLanes(std::uint32_t v) {
    return _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(int(v)), _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28)),
                            _mm256_set1_epi32(15));
}

// Dword j: 2·s_j + 1, the odd multiplier of an i-quant scale s_j.
[[gnu::always_inline]] inline __m256i oddMultipliers(__m256i s) {
    return _mm256_or_si256(_mm256_slli_epi32(s, 1), _mm256_set1_epi32(1));
}

// Each dword's value (0 <= m < 2^15) in both of its int16 halves: a madd_epi16 multiplier.
[[gnu::always_inline]] inline __m256i bothHalves(__m256i m) { return _mm256_or_si256(m, _mm256_slli_epi32(m, 16)); }

}  // namespace
}  // namespace atelier::kernels::avx2
