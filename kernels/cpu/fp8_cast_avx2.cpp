// AVX2 level of the fp8_cast kernels (compiled with -mavx2 -mfma -mf16c only). Bit-identical to
// fp8_cast_ref.cpp: the E4M3 rounding is done on the float's bits (normal codes: round the
// mantissa to 3 bits, nearest even; subnormal codes: round v · 2^9 to an integer, which
// cvtps_epi32 does to nearest even), the block scale from the amax's bits. No libm calls.

#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <cfloat>

#include "atelier/kernels/fp8_cast.h"
#include "cpu/fp8_scalar.h"

namespace atelier::kernels {
namespace {

// Lanes beyond n read as 0 and are never touched in memory.
__m256i tailMask(std::int64_t n) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(std::min<std::int64_t>(n, 8))), lanes);
}

__m256 loadN(const float* p, std::int64_t n) {
    return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, tailMask(n));
}

void storeN(float* p, __m256 v, std::int64_t n) {
    if (n >= 8) _mm256_storeu_ps(p, v);
    else _mm256_maskstore_ps(p, tailMask(n), v);
}

// The block's scale as a power of two, or 0 when the block holds NaN or infinity (the caller
// then takes the scalar path).
float blockScale(const float* x, std::int64_t n) {
    const __m256 absMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 amax = _mm256_setzero_ps(), bad = _mm256_setzero_ps();
    for (std::int64_t i = 0; i < n; i += 8) {
        const __m256 a = _mm256_and_ps(loadN(x + i, n - i), absMask);
        bad = _mm256_or_ps(bad, _mm256_cmp_ps(a, _mm256_set1_ps(FLT_MAX), _CMP_NLE_UQ));
        amax = _mm256_max_ps(amax, a);
    }
    if (_mm256_movemask_ps(bad) != 0) return 0.0f;
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    const float v = std::max(_mm_cvtss_f32(m), 1e-4f) / 448.0f;  // normal: ≥ 2.2e-7
    std::uint32_t u;
    std::memcpy(&u, &v, 4);
    if ((u & 0x7fffffu) != 0) u = (u & 0x7f800000u) + 0x00800000u;  // up to the next power
    float s;
    std::memcpy(&s, &u, 4);
    return s;
}

// E4M3 codes (0..255 in each 32-bit lane) of x · inv clamped to ±448; inv = 1/s exactly.
__m256i encode(__m256 x, __m256 inv) {
    __m256 y = _mm256_mul_ps(x, inv);
    y = _mm256_min_ps(_mm256_max_ps(y, _mm256_set1_ps(-448.0f)), _mm256_set1_ps(448.0f));
    const __m256i bits = _mm256_castps_si256(y);
    const __m256i sign = _mm256_srli_epi32(_mm256_and_si256(bits, _mm256_set1_epi32(int(0x80000000u))), 24);
    const __m256i absBits = _mm256_and_si256(bits, _mm256_set1_epi32(0x7fffffff));
    const __m256 a = _mm256_castsi256_ps(absBits);
    // Normal codes: mantissa rounded to 3 bits (nearest even), exponent rebased 127 → 7.
    const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(absBits, 20), _mm256_set1_epi32(1));
    const __m256i rounded = _mm256_add_epi32(absBits, _mm256_add_epi32(_mm256_set1_epi32(0x7ffff), odd));
    const __m256i normal = _mm256_sub_epi32(_mm256_srli_epi32(rounded, 20), _mm256_set1_epi32(120 << 3));
    // Subnormal codes (a < 2^-6): a · 2^9 rounded to an integer; 8 is the code of 2^-6.
    const __m256i sub = _mm256_cvtps_epi32(_mm256_mul_ps(a, _mm256_set1_ps(512.0f)));
    const __m256 isSub = _mm256_cmp_ps(a, _mm256_set1_ps(0x1p-6f), _CMP_LT_OQ);
    __m256i code = _mm256_castps_si256(
        _mm256_blendv_ps(_mm256_castsi256_ps(normal), _mm256_castsi256_ps(sub), isSub));
    const __m256 sat = _mm256_cmp_ps(a, _mm256_set1_ps(448.0f), _CMP_GE_OQ);
    code = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(code),
                                                _mm256_castsi256_ps(_mm256_set1_epi32(0x7e)), sat));
    return _mm256_or_si256(code, sign);
}

// Values of E4M3 codes (0..255 in each 32-bit lane): the code's bits placed under a float's
// exponent and mantissa, times 2^120 (subnormal codes become f32 subnormals, scaled exactly).
__m256 decode(__m256i code) {
    const __m256i mag = _mm256_and_si256(code, _mm256_set1_epi32(0x7f));
    __m256 v = _mm256_mul_ps(_mm256_castsi256_ps(_mm256_slli_epi32(mag, 20)), _mm256_set1_ps(0x1p120f));
    const __m256 nan = _mm256_castsi256_ps(_mm256_cmpeq_epi32(mag, _mm256_set1_epi32(0x7f)));
    v = _mm256_blendv_ps(v, _mm256_set1_ps(std::numeric_limits<float>::quiet_NaN()), nan);
    const __m256i sign = _mm256_slli_epi32(_mm256_and_si256(code, _mm256_set1_epi32(0x80)), 24);
    return _mm256_or_ps(v, _mm256_castsi256_ps(sign));
}

void storeCodes(std::uint8_t* p, __m256i code, std::int64_t n) {
    const __m256i w = _mm256_packus_epi32(code, code);   // lane: c0..c3 c0..c3 | c4..c7 c4..c7
    const __m256i b = _mm256_packus_epi16(w, w);
    const std::uint32_t lo = std::uint32_t(_mm_cvtsi128_si32(_mm256_castsi256_si128(b)));
    const std::uint32_t hi = std::uint32_t(_mm_cvtsi128_si32(_mm256_extracti128_si256(b, 1)));
    const std::uint64_t all = lo | (std::uint64_t(hi) << 32);
    if (n >= 8) std::memcpy(p, &all, 8);
    else
        for (std::int64_t i = 0; i < n; ++i) p[i] = std::uint8_t(all >> (8 * i));
}

__m256i loadCodes(const std::uint8_t* p, std::int64_t n) {
    std::uint64_t all = 0;
    if (n >= 8) std::memcpy(&all, p, 8);
    else
        for (std::int64_t i = 0; i < n; ++i) all |= std::uint64_t(p[i]) << (8 * i);
    return _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(all)));
}

}  // namespace

void fp8_quant_e4m3_f32_avx2(const float* x, std::int64_t n, int block, std::uint8_t* codes,
                             std::uint8_t* scales) {
    for (std::int64_t b = 0; b < n; b += block) {
        const std::int64_t len = std::min<std::int64_t>(block, n - b);
        const float s = blockScale(x + b, len);
        if (s == 0.0f) {  // NaN or infinity in the block
            fp8_quant_e4m3_f32_ref(x + b, len, int(len), codes + b, scales + b / block);
            continue;
        }
        scales[b / block] = detail::powerOfTwoToE8m0(s);
        const __m256 inv = _mm256_set1_ps(1.0f / s);
        for (std::int64_t i = 0; i < len; i += 8)
            storeCodes(codes + b + i, encode(loadN(x + b + i, len - i), inv), len - i);
    }
}

void fp8_dequant_e4m3_f32_avx2(const std::uint8_t* codes, const std::uint8_t* scales,
                               std::int64_t n, int block, float* x) {
    for (std::int64_t b = 0; b < n; b += block) {
        const std::int64_t len = std::min<std::int64_t>(block, n - b);
        const __m256 s = _mm256_set1_ps(detail::e8m0Scale(scales[b / block]));
        for (std::int64_t i = 0; i < len; i += 8)
            storeN(x + b + i, _mm256_mul_ps(decode(loadCodes(codes + b + i, len - i)), s), len - i);
    }
}

void fp8_simulate_e4m3_f32_avx2(float* x, std::int64_t n, int block) {
    for (std::int64_t b = 0; b < n; b += block) {
        const std::int64_t len = std::min<std::int64_t>(block, n - b);
        const float s = blockScale(x + b, len);
        if (s == 0.0f) {
            detail::simulateBlock(x + b, len);
            continue;
        }
        const __m256 inv = _mm256_set1_ps(1.0f / s), sv = _mm256_set1_ps(s);
        for (std::int64_t i = 0; i < len; i += 8) {
            const __m256 v = decode(encode(loadN(x + b + i, len - i), inv));
            storeN(x + b + i, _mm256_mul_ps(v, sv), len - i);
        }
    }
}

void round_bf16_f32_avx2(float* x, std::int64_t n) {
    const __m256i absMask = _mm256_set1_epi32(0x7fffffff), inf = _mm256_set1_epi32(0x7f800000);
    const __m256i hiMask = _mm256_set1_epi32(int(0xffff0000u));
    for (std::int64_t i = 0; i < n; i += 8) {
        const __m256i u = _mm256_castps_si256(loadN(x + i, n - i));
        const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
        const __m256i r = _mm256_add_epi32(u, _mm256_add_epi32(_mm256_set1_epi32(0x7fff), odd));
        const __m256i q = _mm256_or_si256(u, _mm256_set1_epi32(0x00400000));  // quiet NaN
        const __m256i isNan = _mm256_cmpgt_epi32(_mm256_and_si256(u, absMask), inf);
        const __m256i out = _mm256_and_si256(_mm256_blendv_epi8(r, q, isNan), hiMask);
        storeN(x + i, _mm256_castsi256_ps(out), n - i);
    }
}

// 32 codes per scale: the nibbles interleaved back into element order, then 8 at a time the
// magnitude from a table (vpermps), the sign bit from the code's bit 3, times the scale.
void fp4_dequant_e2m1_f32_avx2(const std::uint8_t* pairs, const std::uint8_t* scales,
                               std::int64_t n, float* x) {
    const __m256 mags = _mm256_setr_ps(0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f);
    const __m128i low4 = _mm_set1_epi8(0x0f);
    for (std::int64_t b = 0; b < n / 32; ++b) {
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(pairs + 16 * b));
        const __m128i lo = _mm_and_si128(q, low4), hi = _mm_and_si128(_mm_srli_epi16(q, 4), low4);
        const __m128i codes[2] = {_mm_unpacklo_epi8(lo, hi), _mm_unpackhi_epi8(lo, hi)};
        const __m256 s = _mm256_set1_ps(detail::e8m0Scale(scales[b]));
        for (int k = 0; k < 4; ++k) {
            const __m128i c8 = k % 2 ? _mm_srli_si128(codes[k / 2], 8) : codes[k / 2];
            const __m256i c = _mm256_cvtepu8_epi32(c8);
            const __m256 mag = _mm256_permutevar8x32_ps(mags, c);  // uses the low 3 bits
            const __m256 sign = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_srli_epi32(c, 3), 31));
            _mm256_storeu_ps(x + 32 * b + 8 * k, _mm256_mul_ps(_mm256_or_ps(mag, sign), s));
        }
    }
}

}  // namespace atelier::kernels
#endif
