// AVX-512 (F + BW) Q3_K x Q8_K dot product: 64 codes per instruction (compiled with -mavx512f
// -mavx512bw -mavx512vl; only called when the CPU has them). Codes are multiplied as unsigned
// code + 4, the +4 removed through the activation block sums. Same integer sums as
// dot_q3_k_q8_k_ref.

#include "atelier/kernels/gemm_quant.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>

#include <cstring>

// g++ 12 flags the deliberately undefined upper lanes inside its own insert/extract intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace atelier::kernels {
namespace {

// Q3_K: hmask[32], qs[64], scales[12], f16 d.
constexpr int kQs = 32, kScales = 96, kD = 108, kBytes = 110;

__m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
__m512i cat(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }

float f16(const std::uint8_t* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// The sixteen 6-bit scales minus 32 as int8 (layout in gemm_quant.h).
__m128i unpackScales(const std::uint8_t* s) {
    std::uint64_t lowBytes;
    std::uint32_t topBytes;
    std::memcpy(&lowBytes, s, 8);
    std::memcpy(&topBytes, s + 8, 4);
    const __m128i m4 = _mm_set1_epi8(15);
    const __m128i lo = _mm_cvtsi64_si128(static_cast<long long>(lowBytes));
    const __m128i nibbles = _mm_unpacklo_epi64(_mm_and_si128(lo, m4), _mm_and_si128(_mm_srli_epi16(lo, 4), m4));
    const __m128i top = _mm_and_si128(_mm_srlv_epi32(_mm_set1_epi32(int(topBytes)), _mm_setr_epi32(0, 2, 4, 6)),
                                      _mm_set1_epi8(3));
    return _mm_sub_epi8(_mm_or_si128(nibbles, _mm_slli_epi16(top, 4)), _mm_set1_epi8(32));
}

// vpermw indices for chunk c of 64 elements (sub-blocks 4c..4c+3): int16 lane L -> 4c + L/8.
__m512i scaleIndex(int c) {
    const __m512i lane = _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
                                          15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    return _mm512_add_epi16(_mm512_set1_epi16(short(4 * c)), _mm512_srli_epi16(lane, 3));
}

}  // namespace

float dot_q3_k_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    const __m512i three = _mm512_set1_epi8(3), four = _mm512_set1_epi8(4);
    const __m512i index[4] = {scaleIndex(0), scaleIndex(1), scaleIndex(2), scaleIndex(3)};
    __m512 acc = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kBytes) {
        const __m256i sc16 = _mm256_cvtepi8_epi16(unpackScales(w + kScales));
        const __m512i scales = _mm512_castsi256_si512(sc16);
        // Both halves test the same bit for chunks of 32 elements 2c and 2c+1.
        const __m256i hm = load256(w);
        const __m512i hmask = cat(hm, _mm256_srli_epi16(hm, 1));
        const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(sc16, load256(a[b].bsums)), 2);
        __m512i sumi = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_zextsi256_si512(offset));
        for (int n = 0; n < 2; ++n) {
            const __m256i q = load256(w + kQs + 32 * n);
            const __m512i q2 = cat(q, _mm256_srli_epi16(q, 2));  // low bits of k = 0 | 1, >> 4: k = 2 | 3
#pragma GCC unroll 2
            for (int h = 0; h < 2; ++h) {  // elements 128n + 64h .. + 63, sub-blocks 8n + 4h ..
                const int c = 2 * n + h;
                const __m512i low = _mm512_and_si512(_mm512_srli_epi16(q2, 4 * h), three);
                const __mmask64 high = _mm512_test_epi8_mask(hmask, _mm512_set1_epi8(char(1 << (2 * c))));
                const __m512i codes = _mm512_mask_add_epi8(low, high, low, four);
                const __m512i x = _mm512_loadu_si512(a[b].qs + 64 * c);
                const __m512i pairs = _mm512_maddubs_epi16(codes, x);
                sumi = _mm512_add_epi32(sumi, _mm512_madd_epi16(pairs, _mm512_permutexvar_epi16(index[c], scales)));
            }
        }
        acc = _mm512_fmadd_ps(_mm512_set1_ps(a[b].d * f16(w + kD)), _mm512_cvtepi32_ps(sumi), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

}  // namespace atelier::kernels

#else  // not built for AVX-512: never dispatched here, but the symbol must exist

namespace atelier::kernels {
float dot_q3_k_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_q3_k_q8_k_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
