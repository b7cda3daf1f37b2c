// The body of the indexer's integer scoring at the AVX-512 levels (indexer_fp4.h), included by
// indexer_fp4_avx512.cpp (vpmaddubsw + vpmaddwd) and indexer_fp4_avx512vnni.cpp (vpdpbusd,
// built with -mavx512vnni), which define ATELIER_INDEXER_FP4_NAME. Lanes are heads: one key's
// four codes are broadcast to every lane and multiplied with 16 heads' four query codes, so a
// block's integer dots build up in the lanes with no horizontal sum until the key's score.
// Per key the nibbles are first widened to bytes (12 + 2·e2m1) in a small buffer.

#include <immintrin.h>

#include <cstring>

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_*() as the unused merge source.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "atelier/kernels/indexer_fp4.h"
#include "indexer_fp4_key.h"

namespace atelier::kernels {
namespace {

// acc + Σ of four u8 × s8 products per int32 lane. No pair of vpmaddubsw saturates: the
// largest is 2 · 24 · 12.
inline __m512i dot4(__m512i acc, __m512i k, __m512i q) {
#if defined(__AVX512VNNI__)
    return _mm512_dpbusd_epi32(acc, k, q);
#else
    const __m512i pairs = _mm512_maddubs_epi16(k, q);
    return _mm512_add_epi32(acc, _mm512_madd_epi16(pairs, _mm512_set1_epi16(1)));
#endif
}

// Keeps the compiler from fusing a rounded product into the next add (GCC contracts vector
// multiplies and adds into FMAs); the `_ref` rounds each on its own.
inline __m512 rounded(__m512 v) {
    __asm__("" : "+v"(v));
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

// Heads [16·hv0, 16·(hv0 + HV)) of K keys (kc, ks: K keys' bytes and scales, kIndexerMaxDim
// and kIndexerMaxDim / 32 apart): adds their w · max(d, 0) to each key's lanes L[k], in head order (L is set by the
// first vector when `first`). Two keys share each load of the query's codes.
template <int HV, int K>
inline void scoreHeads(const IndexerQueryFp4& q, int hv0, const std::uint8_t* kc, const float* ks,
                       bool first, __m512* L) {
    const int heads = q.heads, blocks = q.dim / 32;
    __m512 d[K][HV];
    _Pragma("GCC unroll 8") for (int k = 0; k < K; ++k)
        _Pragma("GCC unroll 8") for (int j = 0; j < HV; ++j) d[k][j] = _mm512_setzero_ps();  // set at b = 0
    for (int b = 0; b < blocks; ++b) {
        __m512i a[K][HV];
        _Pragma("GCC unroll 8") for (int j = 0; j < HV; ++j) {
            const __m512i offset = _mm512_loadu_si512(q.offsets + b * heads + (hv0 + j) * 16);
            _Pragma("GCC unroll 8") for (int k = 0; k < K; ++k) a[k][j] = offset;
        }
        _Pragma("GCC unroll 8") for (int g = 8 * b; g < 8 * b + 8; ++g) {
            __m512i v[K];
            _Pragma("GCC unroll 8") for (int k = 0; k < K; ++k) {
                std::int32_t bytes;
                std::memcpy(&bytes, kc + kIndexerMaxDim * k + 4 * g, 4);
                v[k] = _mm512_set1_epi32(bytes);
            }
            const std::int8_t* c = q.codes + (std::int64_t(g) * heads + hv0 * 16) * 4;
            _Pragma("GCC unroll 8") for (int j = 0; j < HV; ++j) {
                const __m512i codes = _mm512_loadu_si512(c + 64 * j);
                _Pragma("GCC unroll 8") for (int k = 0; k < K; ++k) a[k][j] = dot4(a[k][j], v[k], codes);
            }
        }
        _Pragma("GCC unroll 8") for (int k = 0; k < K; ++k) {
            const __m512 kb = _mm512_set1_ps(ks[kIndexerMaxDim / 32 * k + b]);
            _Pragma("GCC unroll 8") for (int j = 0; j < HV; ++j) {
                const __m512 s = _mm512_loadu_ps(q.scales + b * heads + (hv0 + j) * 16);
                const __m512 f = _mm512_cvtepi32_ps(a[k][j]);
                const __m512 t = rounded(_mm512_mul_ps(rounded(_mm512_mul_ps(f, s)), kb));
                d[k][j] = b == 0 ? t : _mm512_add_ps(d[k][j], t);
            }
        }
    }
    const __m512 zero = _mm512_setzero_ps();
    _Pragma("GCC unroll 8") for (int j = 0; j < HV; ++j) {
        const __m512 w = _mm512_loadu_ps(q.weights + (hv0 + j) * 16);
        _Pragma("GCC unroll 8") for (int k = 0; k < K; ++k) {
            const __m512 p = rounded(_mm512_mul_ps(w, _mm512_max_ps(d[k][j], zero)));
            L[k] = first && j == 0 ? p : _mm512_add_ps(L[k], p);
        }
    }
}

// L_l += L_{l+8}, += L_{l+4}, += L_{l+2}, then L_0 + L_1 (the `_ref`'s halving order).
inline float laneSum(__m512 L) {
    const __m256 a = _mm256_add_ps(_mm512_castps512_ps256(L),
                                   _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(L), 1)));
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    b = _mm_add_ps(b, _mm_movehl_ps(b, b));
    b = _mm_add_ss(b, _mm_shuffle_ps(b, b, 1));
    return _mm_cvtss_f32(b);
}

// K keys from `key` (stride apart) into scores[0, K).
template <int K>
inline void scoreKeys(const IndexerQueryFp4& q, const std::uint8_t* key, std::int64_t stride,
                      float* scores) {
    const int blocks = q.dim / 32, vectors = q.heads / 16;
    alignas(64) std::uint8_t kc[K * kIndexerMaxDim];
    float ks[K * kIndexerMaxDim / 32];
    for (int k = 0; k < K; ++k) {
        const std::uint8_t* kk = key + k * stride;
        widenKey(kk, blocks, kc + kIndexerMaxDim * k);
        for (int b = 0; b < blocks; ++b) {
            const std::uint8_t e = kk[q.dim / 2 + b];  // E8M0: 2^(e − 127), 0xff NaN
            std::uint32_t bits = e == 0xff ? 0x7fc00000u : e == 0 ? 0x00400000u : std::uint32_t(e) << 23;
            std::memcpy(&ks[kIndexerMaxDim / 32 * k + b], &bits, 4);
        }
    }
    __m512 L[K];
    for (int k = 0; k < K; ++k) L[k] = _mm512_setzero_ps();
    int hv = 0;
    for (; hv + 4 <= vectors; hv += 4) scoreHeads<4, K>(q, hv, kc, ks, hv == 0, L);
    for (; hv < vectors; ++hv) scoreHeads<1, K>(q, hv, kc, ks, hv == 0, L);
    for (int k = 0; k < K; ++k) scores[k] = laneSum(L[k]);
}

}  // namespace

void ATELIER_INDEXER_FP4_NAME(const IndexerQueryFp4& q, const std::uint8_t* keys,
                              std::int64_t stride, std::int64_t n, float* scores) {
    std::int64_t s = 0;
    for (; s + 2 <= n; s += 2) scoreKeys<2>(q, keys + s * stride, stride, scores + s);
    for (; s < n; ++s) scoreKeys<1>(q, keys + s * stride, stride, scores + s);
}

}  // namespace atelier::kernels
