// AVX-512 (F + BW) K-quant x Q8_K dot products: the AVX2 scheme on 64-byte vectors, two
// 32-element groups per instruction (compiled with -mavx512f -mavx512bw -mavx512vl; only called
// when the CPU has them). Same integer sums as the _ref versions.

#include "atelier/kernels/gemm_kquant.h"
#include "cpu/kquant_blocks.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>

// g++ 12 flags the deliberately undefined upper lanes inside its own insert/extract intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace atelier::kernels {
namespace {

using namespace kq;

__m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
__m512i cat(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }

// int16 multipliers, one per 16 codes: lanes 8i..8i+7 take s[i].
__m512i scaleQuad(int s0, int s1, int s2, int s3) {
    return cat(_mm256_set_m128i(_mm_set1_epi16(short(s1)), _mm_set1_epi16(short(s0))),
               _mm256_set_m128i(_mm_set1_epi16(short(s3)), _mm_set1_epi16(short(s2))));
}

// u8 codes x s8 activations, pairs summed, times per-lane int16 scales -> 16 x int32.
__m512i scaledDot(__m512i codes, __m512i act, __m512i scales) {
    return _mm512_madd_epi16(_mm512_maddubs_epi16(codes, act), scales);
}

}  // namespace

float dot_q4_k_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    const __m512i low4 = _mm512_set1_epi8(15);
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kQ4KBytes) {
        std::uint8_t sc[8], m[8];
        unpackQ4KScales(w + kQ4KScales, sc, m);
        const std::int8_t* act = a[b].qs;
        __m512i sumi = _mm512_setzero_si512();
        for (int h = 0; h < 2; ++h) {  // 64 bytes of nibbles: chunks 2h and 2h+1
            const __m512i q = _mm512_loadu_si512(w + kQ4KQs + 64 * h);
            const __m512i lo = _mm512_and_si512(q, low4), hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), low4);
            const __m512i aLo = cat(load256(act + 128 * h), load256(act + 128 * h + 64));
            const __m512i aHi = cat(load256(act + 128 * h + 32), load256(act + 128 * h + 96));
            const int s0 = sc[4 * h], s1 = sc[4 * h + 1], s2 = sc[4 * h + 2], s3 = sc[4 * h + 3];
            sumi = _mm512_add_epi32(sumi, scaledDot(lo, aLo, scaleQuad(s0, s0, s2, s2)));
            sumi = _mm512_add_epi32(sumi, scaledDot(hi, aHi, scaleQuad(s1, s1, s3, s3)));
        }
        std::int32_t summ = 0;
        for (int j = 0; j < 8; ++j) summ += m[j] * (a[b].bsums[2 * j] + a[b].bsums[2 * j + 1]);
        sum += a[b].d * (halfToFloat(w) * float(_mm512_reduce_add_epi32(sumi)) - halfToFloat(w + 2) * float(summ));
    }
    return sum;
}

float dot_q6_k_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    const __m512i low4 = _mm512_set1_epi8(15);
    const __m256i low2 = _mm256_set1_epi8(3);
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kQ6KBytes) {
        const auto* sc = reinterpret_cast<const std::int8_t*>(w + kQ6KScales);
        __m512i sumi = _mm512_setzero_si512();
        for (int n = 0; n < 2; ++n) {
            const __m512i ql = _mm512_loadu_si512(w + 64 * n);  // [k=0 | k=1] low, [k=2 | k=3] high nibbles
            const __m256i qh = load256(w + kQ6KQh + 32 * n);
            auto high = [&](int k) { return _mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), low2); };
            const __m512i hA = _mm512_slli_epi16(cat(high(0), high(1)), 4);
            const __m512i hB = _mm512_slli_epi16(cat(high(2), high(3)), 4);
            const __m512i codesA = _mm512_or_si512(_mm512_and_si512(ql, low4), hA);
            const __m512i codesB = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4), hB);
            const std::int8_t* act = a[b].qs + 128 * n;
            const std::int8_t* s = sc + 8 * n;
            sumi = _mm512_add_epi32(sumi, scaledDot(codesA, _mm512_loadu_si512(act), scaleQuad(s[0], s[1], s[2], s[3])));
            sumi = _mm512_add_epi32(sumi, scaledDot(codesB, _mm512_loadu_si512(act + 64), scaleQuad(s[4], s[5], s[6], s[7])));
        }
        std::int32_t offset = 0;  // codes are stored +32
        for (int g = 0; g < 16; ++g) offset += sc[g] * a[b].bsums[g];
        sum += a[b].d * halfToFloat(w + kQ6KD) * float(_mm512_reduce_add_epi32(sumi) - 32 * offset);
    }
    return sum;
}

float dot_q2_k_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    const __m256i low2 = _mm256_set1_epi8(3);
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kQ2KBytes) {
        __m512i sumi = _mm512_setzero_si512();
        for (int n = 0; n < 2; ++n) {
            const __m256i q = load256(w + kQ2KQs + 32 * n);
            auto codes = [&](int k) { return _mm256_and_si256(_mm256_srli_epi16(q, 2 * k), low2); };
            const std::int8_t* act = a[b].qs + 128 * n;
            const std::uint8_t* s = w + 8 * n;
            sumi = _mm512_add_epi32(sumi, scaledDot(cat(codes(0), codes(1)), _mm512_loadu_si512(act),
                                                    scaleQuad(s[0] & 15, s[1] & 15, s[2] & 15, s[3] & 15)));
            sumi = _mm512_add_epi32(sumi, scaledDot(cat(codes(2), codes(3)), _mm512_loadu_si512(act + 64),
                                                    scaleQuad(s[4] & 15, s[5] & 15, s[6] & 15, s[7] & 15)));
        }
        std::int32_t summ = 0;
        for (int g = 0; g < 16; ++g) summ += (w[g] >> 4) * a[b].bsums[g];
        sum += a[b].d * (halfToFloat(w + kQ2KD) * float(_mm512_reduce_add_epi32(sumi)) -
                         halfToFloat(w + kQ2KDmin) * float(summ));
    }
    return sum;
}

}  // namespace atelier::kernels

#else  // not built for AVX-512: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_q4_k_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_q4_k_q8_k_ref(w, a, nb); }
float dot_q6_k_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_q6_k_q8_k_ref(w, a, nb); }
float dot_q2_k_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_q2_k_q8_k_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
