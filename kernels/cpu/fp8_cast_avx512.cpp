// AVX-512 level of the FP8 decode and the BF16 rounding (compiled with -mavx512f -mavx512bw
// -mavx512vl): fp8_cast_avx2.cpp's operations on 16 lanes, with masked loads and stores for a
// block's tail, so the bits are the AVX2 level's and the `_ref`'s. They run on every compressed
// entry attention reads (at 128K, 1,536 HCA and CSA entries of 448 codes per layer pair each
// step) and on every BF16-rounded activation.
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#include <immintrin.h>

#include <algorithm>
#include <limits>

#include "atelier/kernels/fp8_cast.h"
#include "cpu/fp8_scalar.h"

// g++ 12 flags the deliberately undefined upper lanes inside its own cast and insert intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace atelier::kernels {
namespace {

__mmask16 lanes(std::int64_t n) {
    return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u);
}

// Values of E4M3 codes (0..255 in each 32-bit lane), as fp8_cast_avx2.cpp's decode: the code's
// bits placed under a float's exponent and mantissa, times 2^120; 0x7f / 0xff are NaN.
__m512 decode(__m512i code) {
    const __m512i mag = _mm512_and_si512(code, _mm512_set1_epi32(0x7f));
    __m512 v = _mm512_mul_ps(_mm512_castsi512_ps(_mm512_slli_epi32(mag, 20)), _mm512_set1_ps(0x1p120f));
    const __mmask16 nan = _mm512_cmpeq_epi32_mask(mag, _mm512_set1_epi32(0x7f));
    v = _mm512_mask_blend_ps(nan, v, _mm512_set1_ps(std::numeric_limits<float>::quiet_NaN()));
    const __m512i sign = _mm512_slli_epi32(_mm512_and_si512(code, _mm512_set1_epi32(0x80)), 24);
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(v), sign));  // or_ps is AVX512DQ
}

}  // namespace

void fp8_dequant_e4m3_f32_avx512(const std::uint8_t* codes, const std::uint8_t* scales,
                                 std::int64_t n, int block, float* x) {
    for (std::int64_t b = 0; b < n; b += block) {
        const std::int64_t len = std::min<std::int64_t>(block, n - b);
        const __m512 s = _mm512_set1_ps(detail::e8m0Scale(scales[b / block]));
        for (std::int64_t i = 0; i < len; i += 16) {
            const __mmask16 m = lanes(len - i);
            const __m512i code = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, codes + b + i));
            _mm512_mask_storeu_ps(x + b + i, m, _mm512_mul_ps(decode(code), s));
        }
    }
}

void round_bf16_f32_avx512(float* x, std::int64_t n) {
    const __m512i absMask = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
    const __m512i hiMask = _mm512_set1_epi32(int(0xffff0000u));
    for (std::int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = lanes(n - i);
        const __m512i u = _mm512_maskz_loadu_epi32(m, x + i);
        const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
        const __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), odd));
        const __m512i q = _mm512_or_si512(u, _mm512_set1_epi32(0x00400000));  // quiet NaN
        const __mmask16 isNan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(u, absMask), inf);
        const __m512i out = _mm512_and_si512(_mm512_mask_blend_epi32(isNan, r, q), hiMask);
        _mm512_mask_storeu_epi32(x + i, m, out);
    }
}

}  // namespace atelier::kernels

#else  // not built for AVX-512: never dispatched here, but the symbols must exist

#include "atelier/kernels/fp8_cast.h"

namespace atelier::kernels {
void fp8_dequant_e4m3_f32_avx512(const std::uint8_t* codes, const std::uint8_t* scales,
                                 std::int64_t n, int block, float* x) {
    fp8_dequant_e4m3_f32_ref(codes, scales, n, block, x);
}
void round_bf16_f32_avx512(float* x, std::int64_t n) { round_bf16_f32_ref(x, n); }
}  // namespace atelier::kernels

#endif
