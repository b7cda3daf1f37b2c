// AVX-512 VNNI K-quant × Q8_K products (compiled with -mavx512f -mavx512bw -mavx512vl
// -mavx512vnni; only called when the CPU has VNNI). One weight row against up to four tokens at
// a time, the codes unpacked once for all of them.
//
// Each 64 codes (unsigned, as stored) meet 64 activations in one vpdpbusd: int32 lanes of four
// products, |lane| ≤ 4 · 63 · 127 = 32004, so every lane is also its own low int16 and vpdpwssd
// against int32 lanes holding a sub-block scale (high half zero) multiplies it by that scale and
// accumulates: two instructions where the AVX-512 body spends three (vpmaddubsw, vpmaddwd,
// vpaddd). Offsets and minimums go through the activation block sums. Same integer sums as the
// _ref versions; each token's f32 sums run in the same order whatever the number of tokens, so a
// token's result does not depend on its batch (issue #4).

#include "atelier/kernels/gemm_kquant.h"
#include "cpu/kquant_blocks.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__) && defined(__F16C__)
#include <immintrin.h>

#include <cstring>

// g++ 12 flags the deliberately undefined upper lanes inside its own cast and insert intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace atelier::kernels {
namespace {

using namespace kq;

#define ATELIER_KQ_UNROLL _Pragma("GCC unroll 8")

[[gnu::always_inline]] inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
[[gnu::always_inline]] inline __m512i load512(const void* p) { return _mm512_loadu_si512(p); }
[[gnu::always_inline]] inline __m512i cat(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

[[gnu::always_inline]] inline float f16(const std::uint8_t* p) {  // exact, as halfToFloat
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// vpermd indices: int32 lane L -> first + L / per (one scale per `per` lanes).
[[gnu::always_inline]] inline __m512i spread(int first, int per) {
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm512_add_epi32(_mm512_set1_epi32(first), per == 8 ? _mm512_srli_epi32(lane, 3) : _mm512_srli_epi32(lane, 2));
}

// acc += (Σ of 4 code × activation products per lane) · scale per lane.
[[gnu::always_inline]] inline __m512i scaledQuads(__m512i acc, __m512i codes, const std::int8_t* act, __m512i scales) {
    return _mm512_dpwssd_epi32(acc, _mm512_dpbusd_epi32(_mm512_setzero_si512(), codes, load512(act)), scales);
}

float reduce256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

// The eight 6-bit scales and mins of a Q4_K / Q5_K super-block as bytes sc[0..7], m[0..7]
// (unpackQ4KScales on 32-bit words).
[[gnu::always_inline]] inline __m128i q4kScalesMins(const std::uint8_t* s) {
    std::uint32_t u[3];
    std::memcpy(u, s, 12);
    constexpr std::uint32_t k6 = 0x3f3f3f3f, k4 = 0x0f0f0f0f, k2 = 0x03030303;
    const std::uint32_t sc47 = (u[2] & k4) | (((u[0] >> 6) & k2) << 4);
    const std::uint32_t m47 = ((u[2] >> 4) & k4) | (((u[1] >> 6) & k2) << 4);
    return _mm_setr_epi32(int(u[0] & k6), int(sc47), int(u[1] & k6), int(m47));
}

// Each min m[j] in int16 lanes 2j and 2j+1 (the multiplier of bsums 2j and 2j+1).
[[gnu::always_inline]] inline __m256i q4kMinPairs(__m128i scalesMins) {
    const __m128i dup = _mm_setr_epi8(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
    return _mm256_cvtepu8_epi16(_mm_shuffle_epi8(scalesMins, dup));
}

// Q4_K / Q5_K: one row against N tokens (a[t * lda + b]); y[t * ldy]. Chunk c of 64 elements
// is 32 bytes of nibbles, low ones sub-block 2c, high ones 2c + 1; Q5_K adds bit 2c (2c + 1) of
// qh as the fifth.
template <int N, bool kQ5>
void q45kRow(const std::uint8_t* w, const BlockQ8K* a, std::int64_t lda, std::int64_t nb, float* y,
             std::int64_t ldy) {
    constexpr int kBytes = kQ5 ? kQ5KBytes : kQ4KBytes, kQs = kQ5 ? kQ5KQs : kQ4KQs;
    const __m512i low4 = _mm512_set1_epi8(15), fifth = _mm512_set1_epi8(16);
    const __m512i index[4] = {spread(0, 8), spread(2, 8), spread(4, 8), spread(6, 8)};
    __m512 acc[N];
    __m256 mins[N];
    ATELIER_KQ_UNROLL for (int t = 0; t < N; ++t) acc[t] = _mm512_setzero_ps(), mins[t] = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kBytes) {
        const __m128i sm = q4kScalesMins(w + kQ4KScales);
        const __m512i scales = _mm512_cvtepu8_epi32(sm);  // lanes 0-7 sc, 8-15 m
        __m512i qh = _mm512_setzero_si512();
        if (kQ5) {
            const __m256i h = load256(w + kQ5KQh);
            qh = cat(h, _mm256_srli_epi16(h, 1));  // bit 2c: low nibbles' fifth bit | high nibbles'
        }
        __m512i sumi[N];
        ATELIER_KQ_UNROLL for (int t = 0; t < N; ++t) sumi[t] = _mm512_setzero_si512();
#pragma GCC unroll 4
        for (int c = 0; c < 4; ++c) {
            const __m256i q = load256(w + kQs + 32 * c);
            __m512i codes = _mm512_and_si512(cat(q, _mm256_srli_epi16(q, 4)), low4);
            if (kQ5) codes = _mm512_mask_add_epi8(codes, _mm512_test_epi8_mask(qh, _mm512_set1_epi8(char(1 << (2 * c)))), codes, fifth);
            const __m512i sc = _mm512_permutexvar_epi32(index[c], scales);
            ATELIER_KQ_UNROLL for (int t = 0; t < N; ++t)
                sumi[t] = scaledQuads(sumi[t], codes, a[t * lda + b].qs + 64 * c, sc);
        }
        const float wd = f16(w), wmin = f16(w + 2);
        const __m256i pairs = q4kMinPairs(sm);
        ATELIER_KQ_UNROLL for (int t = 0; t < N; ++t) {
            const BlockQ8K& ab = a[t * lda + b];
            acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(ab.d * wd), _mm512_cvtepi32_ps(sumi[t]), acc[t]);
            const __m256i m = _mm256_madd_epi16(load256(ab.bsums), pairs);  // m[j] · (bsums 2j + 2j+1)
            mins[t] = _mm256_fmadd_ps(_mm256_set1_ps(ab.d * wmin), _mm256_cvtepi32_ps(m), mins[t]);
        }
    }
    ATELIER_KQ_UNROLL for (int t = 0; t < N; ++t) y[t * ldy] = _mm512_reduce_add_ps(acc[t]) - reduce256(mins[t]);
}

// Q6_K: half n of 128 elements is ql[64n .. 64n + 63] (low nibbles elements 0-63, high 64-127)
// and qh[32n .. 32n + 31] (2 bits per 32 elements); codes are stored + 32, removed through the
// block sums. Int8 scales per 16 elements.
template <int N>
void q6kRow(const std::uint8_t* w, const BlockQ8K* a, std::int64_t lda, std::int64_t nb, float* y,
            std::int64_t ldy) {
    const __m512i low4 = _mm512_set1_epi8(15), bits45 = _mm512_set1_epi8(0x30);
    const __m512i index[4] = {spread(0, 4), spread(4, 4), spread(8, 4), spread(12, 4)};
    __m512 acc[N];
    ATELIER_KQ_UNROLL for (int t = 0; t < N; ++t) acc[t] = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kQ6KBytes) {
        const __m128i sc8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + kQ6KScales));
        const __m256i sc16 = _mm256_cvtepi8_epi16(sc8);
        const __m512i scales = _mm512_cvtepu16_epi32(sc16);  // int16 scale, high half zero
        const __m256i offset = _mm256_mullo_epi16(sc16, _mm256_set1_epi16(-32));  // |−32 · sc| ≤ 4096
        __m512i sumi[N];
        ATELIER_KQ_UNROLL for (int t = 0; t < N; ++t)
            sumi[t] = _mm512_zextsi256_si512(_mm256_madd_epi16(load256(a[t * lda + b].bsums), offset));
#pragma GCC unroll 2
        for (int n = 0; n < 2; ++n) {
            const __m512i ql = load512(w + 64 * n);
            const __m256i h = load256(w + kQ6KQh + 32 * n);
            const __m512i qh = cat(h, _mm256_srli_epi16(h, 2));  // bits 0-1 | 4-5: k = 0 | 1, 2 | 3
            const __m512i codesA = _mm512_or_si512(_mm512_and_si512(ql, low4),
                                                   _mm512_and_si512(_mm512_slli_epi16(qh, 4), bits45));
            const __m512i codesB = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                                   _mm512_and_si512(qh, bits45));
            const __m512i scA = _mm512_permutexvar_epi32(index[2 * n], scales);
            const __m512i scB = _mm512_permutexvar_epi32(index[2 * n + 1], scales);
            ATELIER_KQ_UNROLL for (int t = 0; t < N; ++t) {
                const std::int8_t* act = a[t * lda + b].qs + 128 * n;
                sumi[t] = scaledQuads(sumi[t], codesA, act, scA);
                sumi[t] = scaledQuads(sumi[t], codesB, act + 64, scB);
            }
        }
        const float wd = f16(w + kQ6KD);
        ATELIER_KQ_UNROLL for (int t = 0; t < N; ++t)
            acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(a[t * lda + b].d * wd), _mm512_cvtepi32_ps(sumi[t]), acc[t]);
    }
    ATELIER_KQ_UNROLL for (int t = 0; t < N; ++t) y[t * ldy] = _mm512_reduce_add_ps(acc[t]);
}

// Q2_K: element 128n + 32k + l is bits 2k of qs[32n + l]; scale (low nibble) and min (high) per
// 16 elements.
template <int N>
void q2kRow(const std::uint8_t* w, const BlockQ8K* a, std::int64_t lda, std::int64_t nb, float* y,
            std::int64_t ldy) {
    const __m512i low2 = _mm512_set1_epi8(3);
    const __m128i low4 = _mm_set1_epi8(15);
    const __m512i index[4] = {spread(0, 4), spread(4, 4), spread(8, 4), spread(12, 4)};
    __m512 acc[N];
    __m256 mins[N];
    ATELIER_KQ_UNROLL for (int t = 0; t < N; ++t) acc[t] = _mm512_setzero_ps(), mins[t] = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kQ2KBytes) {
        const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w));
        const __m512i scales = _mm512_cvtepu8_epi32(_mm_and_si128(s, low4));
        const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(s, 4), low4));
        __m512i sumi[N];
        ATELIER_KQ_UNROLL for (int t = 0; t < N; ++t) sumi[t] = _mm512_setzero_si512();
#pragma GCC unroll 2
        for (int n = 0; n < 2; ++n) {
            const __m256i q = load256(w + kQ2KQs + 32 * n);
            const __m512i q2 = cat(q, _mm256_srli_epi16(q, 2));  // bits 0-1: k = 0 | 1, 4-5: k = 2 | 3
            const __m512i codesA = _mm512_and_si512(q2, low2);
            const __m512i codesB = _mm512_and_si512(_mm512_srli_epi16(q2, 4), low2);
            const __m512i scA = _mm512_permutexvar_epi32(index[2 * n], scales);
            const __m512i scB = _mm512_permutexvar_epi32(index[2 * n + 1], scales);
            ATELIER_KQ_UNROLL for (int t = 0; t < N; ++t) {
                const std::int8_t* act = a[t * lda + b].qs + 128 * n;
                sumi[t] = scaledQuads(sumi[t], codesA, act, scA);
                sumi[t] = scaledQuads(sumi[t], codesB, act + 64, scB);
            }
        }
        const float wd = f16(w + kQ2KD), wmin = f16(w + kQ2KDmin);
        ATELIER_KQ_UNROLL for (int t = 0; t < N; ++t) {
            const BlockQ8K& ab = a[t * lda + b];
            acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(ab.d * wd), _mm512_cvtepi32_ps(sumi[t]), acc[t]);
            const __m256i m = _mm256_madd_epi16(load256(ab.bsums), mins16);
            mins[t] = _mm256_fmadd_ps(_mm256_set1_ps(ab.d * wmin), _mm256_cvtepi32_ps(m), mins[t]);
        }
    }
    ATELIER_KQ_UNROLL for (int t = 0; t < N; ++t) y[t * ldy] = _mm512_reduce_add_ps(acc[t]) - reduce256(mins[t]);
}

template <int N> struct Q4K { static void run(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, float* y, std::int64_t ldy) { q45kRow<N, false>(w, a, nb, nb, y, ldy); } };
template <int N> struct Q5K { static void run(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, float* y, std::int64_t ldy) { q45kRow<N, true>(w, a, nb, nb, y, ldy); } };
template <int N> struct Q6K { static void run(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, float* y, std::int64_t ldy) { q6kRow<N>(w, a, nb, nb, y, ldy); } };
template <int N> struct Q2K { static void run(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, float* y, std::int64_t ldy) { q2kRow<N>(w, a, nb, nb, y, ldy); } };

// Tiles of four tokens, then the tail.
template <template <int> class Row>
void rowTimesTokens(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T, float* y,
                    std::int64_t ldy) {
    std::int64_t t = 0;
    for (; t + 4 <= T; t += 4) Row<4>::run(w, a + t * nb, nb, y + t * ldy, ldy);
    switch (T - t) {
    case 3: Row<3>::run(w, a + t * nb, nb, y + t * ldy, ldy); break;
    case 2: Row<2>::run(w, a + t * nb, nb, y + t * ldy, ldy); break;
    case 1: Row<1>::run(w, a + t * nb, nb, y + t * ldy, ldy); break;
    default: break;
    }
}

}  // namespace

void dots_q4_k_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T,
                               float* y, std::int64_t ldy) {
    rowTimesTokens<Q4K>(w, a, nb, T, y, ldy);
}
void dots_q5_k_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T,
                               float* y, std::int64_t ldy) {
    rowTimesTokens<Q5K>(w, a, nb, T, y, ldy);
}
void dots_q6_k_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T,
                               float* y, std::int64_t ldy) {
    rowTimesTokens<Q6K>(w, a, nb, T, y, ldy);
}
void dots_q2_k_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T,
                               float* y, std::int64_t ldy) {
    rowTimesTokens<Q2K>(w, a, nb, T, y, ldy);
}

}  // namespace atelier::kernels

#else  // not built for AVX-512 VNNI: never dispatched here, but the symbols must exist

namespace atelier::kernels {
namespace {
template <float (*Dot)(const std::uint8_t*, const BlockQ8K*, std::int64_t)>
void eachToken(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T, float* y, std::int64_t ldy) {
    for (std::int64_t t = 0; t < T; ++t) y[t * ldy] = Dot(w, a + t * nb, nb);
}
}  // namespace
void dots_q4_k_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T,
                               float* y, std::int64_t ldy) {
    eachToken<dot_q4_k_q8_k_avx512>(w, a, nb, T, y, ldy);
}
void dots_q5_k_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T,
                               float* y, std::int64_t ldy) {
    dots_q5_k_q8_k_avx2(w, a, nb, T, y, ldy);
}
void dots_q6_k_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T,
                               float* y, std::int64_t ldy) {
    eachToken<dot_q6_k_q8_k_avx512>(w, a, nb, T, y, ldy);
}
void dots_q2_k_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T,
                               float* y, std::int64_t ldy) {
    eachToken<dot_q2_k_q8_k_avx512>(w, a, nb, T, y, ldy);
}
}  // namespace atelier::kernels

#endif
