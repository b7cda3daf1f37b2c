// The AVX2 K-quant x Q8_K bodies, written once for two levels: gemm_kquant_avx2.cpp (AVX2 + FMA
// + F16C) and gemm_kquant_avxvnni.cpp (the same plus -mavxvnni, where __AVXVNNI__ selects the
// VNNI form of the scale vectors and of addScaledDot). Include only from those two files, after
// checking __AVX2__ / __FMA__; everything here has internal linkage.

#include <immintrin.h>

#include <cstring>
#include <utility>

#include "atelier/kernels/gemm_kquant.h"
#include "cpu/kquant_blocks.h"

namespace atelier::kernels {
namespace {

using namespace kq;

float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

// The products of 32 codes with 32 activations, each times its sub-block's scale, added to
// eight int32 lanes. A scale vector holds one int16 multiplier per pair of products (AVX2:
// vpmaddubsw pairs, then vpmaddwd by the scales, then vpaddd), or, with AVX-VNNI, one per four
// products in the low half of an int32 lane whose high half is zero (vpdpbusd sums four
// products; |sum| <= 4 * 63 * 127 fits its low int16, so vpdpwssd against the lane multiplies
// it by the scale and accumulates). No pair sum saturates (|pair| <= 2 * 63 * 127), so both give
// the same integer sums and every result the same bits.
#if defined(__AVXVNNI__)
__m256i scaleLanes(int lo, int hi) {
    return _mm256_set_m128i(_mm_set1_epi32(int(std::uint16_t(hi))), _mm_set1_epi32(int(std::uint16_t(lo))));
}
__m256i addScaledDot(__m256i sum, __m256i codes, const std::int8_t* act, __m256i scales) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(act));
    return _mm256_dpwssd_avx_epi32(sum, _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), codes, a), scales);
}
#else
__m256i scaleLanes(int lo, int hi) { return _mm256_set_m128i(_mm_set1_epi16(short(hi)), _mm_set1_epi16(short(lo))); }
__m256i addScaledDot(__m256i sum, __m256i codes, const std::int8_t* act, __m256i scales) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(act));
    return _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(codes, a), scales));
}
#endif

// The eight scales as int16 in both 128-bit lanes, and the selector that spreads scale j over
// every multiplier lane (one vpshufb instead of a scalar load, vmovd and vpbroadcastw).
__m256i scaleWords(const std::uint8_t sc[8]) {
    return _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sc))));
}
#if defined(__AVXVNNI__)
__m256i spreadScale(__m256i words, int j) {  // word j into each int32 lane's low half, high half zero
    return _mm256_shuffle_epi8(words, _mm256_set1_epi32(int(0x80800000u | unsigned(0x0100 + 0x0202 * j))));
}
#else
__m256i spreadScale(__m256i words, int j) { return _mm256_shuffle_epi8(words, _mm256_set1_epi16(short(0x0100 + 0x0202 * j))); }
#endif

// Each 16-bit lane pair of the Q4_K / Q5_K mins: m[j] in lanes 2j and 2j+1 (a bsums multiplier).
__m256i minPairs(const std::uint8_t m[8]) {
    const __m128i m16 = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(m)));
    return _mm256_set_m128i(_mm_unpackhi_epi16(m16, m16), _mm_unpacklo_epi16(m16, m16));
}

// m[j] * (bsums[2j] + bsums[2j+1]) of one Q8_K block in lane j (exact), as floats.
__m256 minTerms(__m256i pairs, const BlockQ8K& a) {
    const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums));
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(bs, pairs));
}

float f16(const std::uint8_t* p) {  // exact, as halfToFloat
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// One super-block of a weight row against N tokens: K::block<N>(w, a, lda, acc) adds the block's
// products with the token blocks a[t * lda] to acc[t] (8 lanes, reduced at the row's end). The
// codes and scales are unpacked once for all N, and every token's float operations run in the same
// order whatever N is, so a token's result does not depend on the batch it is in (issue #4) nor on
// the rows computed beside it. The token loops are unrolled so that acc and sumi stay in registers
// (GCC -O2 does not unroll them by itself).

// Q4_K: four-bit codes, a six-bit scale and min per 32 elements.
struct Q4K {
    static constexpr int kBytes = kQ4KBytes;
    template <int N>
    [[gnu::always_inline]] static inline void block(const std::uint8_t* w, const BlockQ8K* a, std::int64_t lda,
                                                    __m256* acc) {
        const __m256i low4 = _mm256_set1_epi8(15);
        std::uint8_t sc[8], m[8];
        unpackQ4KScales(w + kQ4KScales, sc, m);
        const __m256i scales = scaleWords(sc);
        __m256i sumi[N];
        _Pragma("GCC unroll 8") for (int t = 0; t < N; ++t) sumi[t] = _mm256_setzero_si256();
        _Pragma("GCC unroll 4") for (int c = 0; c < 4; ++c) {
            const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + kQ4KQs + 32 * c));
            const __m256i lo = _mm256_and_si256(q, low4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
            const __m256i slo = spreadScale(scales, 2 * c), shi = spreadScale(scales, 2 * c + 1);
            _Pragma("GCC unroll 8") for (int t = 0; t < N; ++t) {
                const std::int8_t* qs = a[t * lda].qs + 64 * c;
                sumi[t] = addScaledDot(sumi[t], lo, qs, slo);
                sumi[t] = addScaledDot(sumi[t], hi, qs + 32, shi);
            }
        }
        const float wd = f16(w), wmin = f16(w + 2);
        const __m256i pairs = minPairs(m);
        _Pragma("GCC unroll 8") for (int t = 0; t < N; ++t) {
            const BlockQ8K& ab = a[t * lda];
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(ab.d * wd), _mm256_cvtepi32_ps(sumi[t]), acc[t]);
            acc[t] = _mm256_fnmadd_ps(_mm256_set1_ps(ab.d * wmin), minTerms(pairs, ab), acc[t]);
        }
    }
};

// Q5_K (as Q4_K; the fifth bits come from qh, bit 2c for the low
// nibbles of chunk c and bit 2c+1 for the high ones).
struct Q5K {
    static constexpr int kBytes = kQ5KBytes;
    template <int N>
    [[gnu::always_inline]] static inline void block(const std::uint8_t* w, const BlockQ8K* a, std::int64_t lda,
                                                    __m256* acc) {
        const __m256i low4 = _mm256_set1_epi8(15), one = _mm256_set1_epi8(1);
        std::uint8_t sc[8], m[8];
        unpackQ4KScales(w + kQ5KScales, sc, m);
        const __m256i scales = scaleWords(sc);
        const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + kQ5KQh));
        __m256i sumi[N];
        _Pragma("GCC unroll 8") for (int t = 0; t < N; ++t) sumi[t] = _mm256_setzero_si256();
        _Pragma("GCC unroll 4") for (int c = 0; c < 4; ++c) {
            const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + kQ5KQs + 32 * c));
            const __m256i hlo = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one);
            const __m256i hhi = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one);
            const __m256i lo = _mm256_or_si256(_mm256_and_si256(q, low4), _mm256_slli_epi16(hlo, 4));
            const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), low4),
                                               _mm256_slli_epi16(hhi, 4));
            const __m256i slo = spreadScale(scales, 2 * c), shi = spreadScale(scales, 2 * c + 1);
            _Pragma("GCC unroll 8") for (int t = 0; t < N; ++t) {
                const std::int8_t* qs = a[t * lda].qs + 64 * c;
                sumi[t] = addScaledDot(sumi[t], lo, qs, slo);
                sumi[t] = addScaledDot(sumi[t], hi, qs + 32, shi);
            }
        }
        const float wd = f16(w), wmin = f16(w + 2);
        const __m256i pairs = minPairs(m);
        _Pragma("GCC unroll 8") for (int t = 0; t < N; ++t) {
            const BlockQ8K& ab = a[t * lda];
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(ab.d * wd), _mm256_cvtepi32_ps(sumi[t]), acc[t]);
            acc[t] = _mm256_fnmadd_ps(_mm256_set1_ps(ab.d * wmin), minTerms(pairs, ab), acc[t]);
        }
    }
};

// Q6_K: six-bit codes from ql (low nibbles) and qh (two bits
// each), stored +32, so 32 · Σ sc[g] · bsums[g] is taken off each block's integer sum.
struct Q6K {
    static constexpr int kBytes = kQ6KBytes;
    template <int N>
    [[gnu::always_inline]] static inline void block(const std::uint8_t* w, const BlockQ8K* a, std::int64_t lda,
                                                    __m256* acc) {
        const __m256i low4 = _mm256_set1_epi8(15), low2 = _mm256_set1_epi8(3);
        const auto* sc = reinterpret_cast<const std::int8_t*>(w + kQ6KScales);
        __m256i sumi[N];
        _Pragma("GCC unroll 8") for (int t = 0; t < N; ++t) sumi[t] = _mm256_setzero_si256();
        for (int n = 0; n < 2; ++n) {
            const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 64 * n));
            const __m256i ql1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 64 * n + 32));
            const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + kQ6KQh + 32 * n));
            for (int k = 0; k < 4; ++k) {
                const __m256i ql = k % 2 == 0 ? ql0 : ql1;  // k 0, 1: low nibbles; 2, 3: high
                const __m256i low = _mm256_and_si256(k < 2 ? ql : _mm256_srli_epi16(ql, 4), low4);
                const __m256i high = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), low2);
                const __m256i codes = _mm256_or_si256(low, _mm256_slli_epi16(high, 4));
                const int g = 8 * n + 2 * k;  // first 16-element sub-block of these 32 elements
                const __m256i scales = scaleLanes(sc[g], sc[g + 1]);
                _Pragma("GCC unroll 8") for (int t = 0; t < N; ++t)
                    sumi[t] = addScaledDot(sumi[t], codes, a[t * lda].qs + 16 * g, scales);
            }
        }
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sc)));
        const float wd = f16(w + kQ6KD);
        _Pragma("GCC unroll 8") for (int t = 0; t < N; ++t) {
            const BlockQ8K& ab = a[t * lda];
            const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab.bsums));
            const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(bs, sc16), 5);
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(ab.d * wd), _mm256_cvtepi32_ps(_mm256_sub_epi32(sumi[t], offset)), acc[t]);
        }
    }
};

// Q2_K: two-bit codes, a four-bit scale and min per 16
// elements (scale in the low nibble of w[g], min in the high one).
struct Q2K {
    static constexpr int kBytes = kQ2KBytes;
    template <int N>
    [[gnu::always_inline]] static inline void block(const std::uint8_t* w, const BlockQ8K* a, std::int64_t lda,
                                                    __m256* acc) {
        const __m256i low2 = _mm256_set1_epi8(3);
        const __m128i low4 = _mm_set1_epi8(15);
        __m256i sumi[N];
        _Pragma("GCC unroll 8") for (int t = 0; t < N; ++t) sumi[t] = _mm256_setzero_si256();
        for (int n = 0; n < 2; ++n) {
            const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + kQ2KQs + 32 * n));
            for (int k = 0; k < 4; ++k) {
                const __m256i codes = _mm256_and_si256(_mm256_srli_epi16(q, 2 * k), low2);
                const int g = 8 * n + 2 * k;
                const __m256i scales = scaleLanes(w[g] & 15, w[g + 1] & 15);
                _Pragma("GCC unroll 8") for (int t = 0; t < N; ++t)
                    sumi[t] = addScaledDot(sumi[t], codes, a[t * lda].qs + 16 * g, scales);
            }
        }
        const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w));
        const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), low4));
        const float wd = f16(w + kQ2KD), wmin = f16(w + kQ2KDmin);
        _Pragma("GCC unroll 8") for (int t = 0; t < N; ++t) {
            const BlockQ8K& ab = a[t * lda];
            const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab.bsums));
            const __m256 minSums = _mm256_cvtepi32_ps(_mm256_madd_epi16(bs, mins16));
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(ab.d * wd), _mm256_cvtepi32_ps(sumi[t]), acc[t]);
            acc[t] = _mm256_fnmadd_ps(_mm256_set1_ps(ab.d * wmin), minSums, acc[t]);
        }
    }
};

// One row against N tokens.
template <class K, int N>
void rowTokens(const std::uint8_t* w, const BlockQ8K* a, std::int64_t lda, std::int64_t nb, float* y,
               std::int64_t ldy) {
    __m256 acc[N];
    _Pragma("GCC unroll 8") for (int t = 0; t < N; ++t) acc[t] = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b) K::template block<N>(w + b * K::kBytes, a + b, lda, acc);
    _Pragma("GCC unroll 8") for (int t = 0; t < N; ++t) y[t * ldy] = hsum(acc[t]);
}

// Four rows against one token (decode): four independent accumulation chains and one shared
// reduction. Each row's lanes are added in hsum's order ((s0 + s2) + (s1 + s3) after folding the
// high half onto the low), so every row gets the bits rowTokens<K, 1> gives it.
template <class K>
void fourRowsOneToken(const std::uint8_t* w, std::size_t rowBytes, const BlockQ8K* a, std::int64_t nb, float* y) {
    __m256 acc[4];
    _Pragma("GCC unroll 4") for (int r = 0; r < 4; ++r) acc[r] = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b)
        _Pragma("GCC unroll 4") for (int r = 0; r < 4; ++r)
            K::template block<1>(w + std::size_t(r) * rowBytes + b * K::kBytes, a + b, 0, &acc[r]);
    __m128 s[4];
    _Pragma("GCC unroll 4") for (int r = 0; r < 4; ++r)
        s[r] = _mm_add_ps(_mm256_castps256_ps128(acc[r]), _mm256_extractf128_ps(acc[r], 1));
    _MM_TRANSPOSE4_PS(s[0], s[1], s[2], s[3]);  // s[k] = lane k of rows 0..3
    _mm_storeu_ps(y, _mm_add_ps(_mm_add_ps(s[0], s[2]), _mm_add_ps(s[1], s[3])));
}

// Rows of T tokens in tiles of kKTile, then the tail (wider tiles measured no faster here: the
// products, three instructions per 32 codes and token, dominate, not the unpacking).
constexpr int kKTile = 4;
template <class K, int... Ns>
void tailTile(std::int64_t n, const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, float* y,
              std::int64_t ldy, std::integer_sequence<int, Ns...>) {
    ((n == Ns + 1 ? rowTokens<K, Ns + 1>(w, a, nb, nb, y, ldy) : void()), ...);
}
template <class K>
void rowTimesTokens(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T,
                    float* y, std::int64_t ldy) {
    std::int64_t t = 0;
    for (; t + kKTile <= T; t += kKTile) rowTokens<K, kKTile>(w, a + t * nb, nb, nb, y + t * ldy, ldy);
    tailTile<K>(T - t, w, a + t * nb, nb, y + t * ldy, ldy, std::make_integer_sequence<int, kKTile - 1>{});
}
template <class K>
void rowsTimesToken(const std::uint8_t* w, std::int64_t rows, const BlockQ8K* a, std::int64_t nb, float* y) {
    const std::size_t rowBytes = std::size_t(nb) * K::kBytes;
    std::int64_t r = 0;
    for (; r + 4 <= rows; r += 4) fourRowsOneToken<K>(w + std::size_t(r) * rowBytes, rowBytes, a, nb, y + r);
    for (; r < rows; ++r) rowTokens<K, 1>(w + std::size_t(r) * rowBytes, a, nb, nb, y + r, 1);
}

}  // namespace
}  // namespace atelier::kernels
