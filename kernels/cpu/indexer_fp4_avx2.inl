// The body of the indexer's integer scoring at the AVX2 levels (indexer_fp4.h), included by
// indexer_fp4_avx2.cpp (vpmaddubsw + vpmaddwd) and indexer_fp4_avxvnni.cpp (vpdpbusd on 256
// bits, built with -mavxvnni), which define ATELIER_INDEXER_FP4_NAME. The AVX-512 body's
// scheme (indexer_fp4_avx512.inl) with each 16-head vector held as two registers: heads
// 0…7 and 8…15 of it, whose sum is the first of the lane halvings, so the bits are the same.

#include <immintrin.h>

#include <cstring>

#include "atelier/kernels/indexer_fp4.h"
#include "indexer_fp4_key.h"

namespace atelier::kernels {
namespace {

// acc + Σ of four u8 × s8 products per int32 lane (no vpmaddubsw pair saturates: at most
// 2 · 24 · 12).
inline __m256i dot4(__m256i acc, __m256i k, __m256i q) {
#if defined(__AVXVNNI__)
    return _mm256_dpbusd_avx_epi32(acc, k, q);
#else
    const __m256i pairs = _mm256_maddubs_epi16(k, q);
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
#endif
}

// Keeps the compiler from fusing a rounded product into the next add (the `_ref` rounds each).
inline __m256 rounded(__m256 v) {
    __asm__("" : "+x"(v));
    return v;
}

// The key's bytes 12 + 2·e2m1, in element order, `blocks` blocks of 32.
inline void widenKey(const std::uint8_t* key, int blocks, std::uint8_t* kc) {
    const __m128i lut = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kIndexerKeyCode));
    const __m128i low = _mm_set1_epi8(15);
    for (int b = 0; b < blocks; ++b) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key + 16 * b));
        const __m128i lo = _mm_shuffle_epi8(lut, _mm_and_si128(x, low));
        const __m128i hi = _mm_shuffle_epi8(lut, _mm_and_si128(_mm_srli_epi16(x, 4), low));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(kc + 32 * b), _mm_unpacklo_epi8(lo, hi));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(kc + 32 * b + 16), _mm_unpackhi_epi8(lo, hi));
    }
}

// Heads [16·hv0, 16·(hv0 + HV)) of one key, added to the lanes (L[0]: heads 0…7 of each
// vector, L[1]: 8…15) in head order; the first vector sets them when `first`.
template <int HV>
inline void scoreHeads(const IndexerQueryFp4& q, int hv0, const std::uint8_t* kc, const float* ks,
                       bool first, __m256 L[2]) {
    const int heads = q.heads, blocks = q.dim / 32;
    __m256 d[2 * HV];
    _Pragma("GCC unroll 8") for (int j = 0; j < 2 * HV; ++j) d[j] = _mm256_setzero_ps();  // set at b = 0
    for (int b = 0; b < blocks; ++b) {
        __m256i a[2 * HV];
        _Pragma("GCC unroll 8") for (int j = 0; j < 2 * HV; ++j)
            a[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q.offsets + b * heads + hv0 * 16 + 8 * j));
        _Pragma("GCC unroll 8") for (int g = 8 * b; g < 8 * b + 8; ++g) {
            std::int32_t k;
            std::memcpy(&k, kc + 4 * g, 4);
            const __m256i v = _mm256_set1_epi32(k);
            const std::int8_t* c = q.codes + (std::int64_t(g) * heads + hv0 * 16) * 4;
            _Pragma("GCC unroll 8") for (int j = 0; j < 2 * HV; ++j)
                a[j] = dot4(a[j], v, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + 32 * j)));
        }
        const __m256 kb = _mm256_set1_ps(ks[b]);
        _Pragma("GCC unroll 8") for (int j = 0; j < 2 * HV; ++j) {
            const __m256 s = _mm256_loadu_ps(q.scales + b * heads + hv0 * 16 + 8 * j);
            const __m256 t = rounded(_mm256_mul_ps(rounded(_mm256_mul_ps(_mm256_cvtepi32_ps(a[j]), s)), kb));
            d[j] = b == 0 ? t : _mm256_add_ps(d[j], t);
        }
    }
    const __m256 zero = _mm256_setzero_ps();
    _Pragma("GCC unroll 8") for (int j = 0; j < 2 * HV; ++j) {
        const __m256 w = _mm256_loadu_ps(q.weights + hv0 * 16 + 8 * j);
        const __m256 p = rounded(_mm256_mul_ps(w, _mm256_max_ps(d[j], zero)));
        L[j % 2] = first && j < 2 ? p : _mm256_add_ps(L[j % 2], p);
    }
}

// L_l += L_{l+8}, += L_{l+4}, += L_{l+2}, then L_0 + L_1 (the `_ref`'s halving order).
inline float laneSum(const __m256 L[2]) {
    const __m256 a = _mm256_add_ps(L[0], L[1]);
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    b = _mm_add_ps(b, _mm_movehl_ps(b, b));
    b = _mm_add_ss(b, _mm_shuffle_ps(b, b, 1));
    return _mm_cvtss_f32(b);
}

}  // namespace

void ATELIER_INDEXER_FP4_NAME(const IndexerQueryFp4& q, const std::uint8_t* keys,
                              std::int64_t stride, std::int64_t n, float* scores) {
    const int blocks = q.dim / 32, vectors = q.heads / 16;
    alignas(32) std::uint8_t kc[kIndexerMaxDim];
    float ks[kIndexerMaxDim / 32];
    for (std::int64_t s = 0; s < n; ++s) {
        const std::uint8_t* key = keys + s * stride;
        widenKey(key, blocks, kc);
        for (int b = 0; b < blocks; ++b) {
            const std::uint8_t e = key[q.dim / 2 + b];  // E8M0: 2^(e − 127), 0xff NaN
            std::uint32_t bits = e == 0xff ? 0x7fc00000u : e == 0 ? 0x00400000u : std::uint32_t(e) << 23;
            std::memcpy(&ks[b], &bits, 4);
        }
        __m256 L[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
        int hv = 0;
        for (; hv + 2 <= vectors; hv += 2) scoreHeads<2>(q, hv, kc, ks, hv == 0, L);
        for (; hv < vectors; ++hv) scoreHeads<1>(q, hv, kc, ks, hv == 0, L);
        scores[s] = laneSum(L);
    }
}

}  // namespace atelier::kernels
