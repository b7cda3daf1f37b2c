// The AVX2 Q8_0 / MXFP4 x int8-activation tiles, written once for two levels: gemm_q8_avx2.cpp
// (AVX2 + FMA + F16C) and gemm_q8_avxvnni.cpp (the same plus -mavxvnni, where __AVXVNNI__ makes
// blockDot one vpdpbusd). Include only from those two files, after checking __AVX2__ / __FMA__
// / __F16C__; everything here has internal linkage.

#include <immintrin.h>

#include <cstring>
#include <vector>

#include "atelier/kernels/gemm_q8.h"
#include "cpu/decode_scalar.h"

namespace atelier::kernels {
namespace {

constexpr std::int64_t kRows = 4;          // rows per register tile
constexpr std::int64_t kTokens = 2;        // tokens per register tile
constexpr std::int64_t kTokenBlock = 64;   // tokens whose activations stay in L2 per row panel
// Products of at most this many tokens (decode steps) read the rows one after another: one
// sequential stream that the hardware prefetcher follows across rows. Four rows at a time are
// four streams of ~1 KB each (a 1024-column Q8_0 row), too short for the prefetcher to ramp
// up; on the bench preset that held batch-1 decode at ~60% of the memory bandwidth. Longer
// products keep the 4-row panels, whose activation reuse pays when the weights come from cache.
constexpr std::int64_t kRowByRowTokens = 4;

float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

float f16(const std::uint8_t* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// The 32 products of one block, |w| (unsigned) times the activations with w's signs, summed in
// eight int32 lanes of four: vpmaddubsw + vpmaddwd with AVX2, one vpdpbusd with AVX-VNNI. The
// same sums (no vpmaddubsw pair saturates: 2 · 128 · 127 < 32767), so the same bits.
[[gnu::always_inline]] inline __m256i blockDot(__m256i wabs, __m256i signedAct) {
#if defined(__AVXVNNI__)
    return _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), wabs, signedAct);
#else
    return _mm256_madd_epi16(_mm256_maddubs_epi16(wabs, signedAct), _mm256_set1_epi16(1));
#endif
}

// GCC at -O2 keeps acc[][] on the stack unless these short loops are unrolled (see gemm_simd.inl).
#define ATELIER_Q8_UNROLL _Pragma("GCC unroll 8")

// Weight blocks as int8 codes and a scale: Q8_0 {f16 d, int8 q[32]} as stored; MXFP4 {e8m0 s,
// 16 bytes: element j low nibble, j + 16 high} as twice the E2M1 values (exact, |code| <= 12)
// with scale s / 2.
// kDecodeOnce: whether a panel that serves several tiles is worth decoding once (DecodedBlocks).
struct Q8_0Blocks {
    static constexpr std::size_t kBytes = detail::kQ8_0BlockBytes;
    static constexpr bool kDecodeOnce = false;  // the stored codes are the int8 codes
    static __m256i codes(const std::uint8_t* b) {
        return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 2));
    }
    static float scale(const std::uint8_t* b) { return f16(b); }
};
struct Mxfp4Blocks {
    static constexpr std::size_t kBytes = detail::kMxfp4BlockBytes;
    static constexpr bool kDecodeOnce = true;
    static __m256i codes(const std::uint8_t* b) {
        const __m128i table = _mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 1));
        const __m128i low4 = _mm_set1_epi8(0x0f);
        const __m128i lo = _mm_shuffle_epi8(table, _mm_and_si128(q, low4));
        const __m128i hi = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(q, 4), low4));
        return _mm256_set_m128i(hi, lo);
    }
    // e8m0Value(e) / 2 = 2^(e − 128) without ldexp: the exponent field e − 1 for e ≥ 2.
    static float scale(const std::uint8_t* b) {
        const std::uint8_t e = b[0];
        if (e == 255) return __builtin_nanf("");
        if (e < 2) return e == 0 ? 0x1p-128f : 0x1p-127f;
        return detail::bitsToFloat(std::uint32_t(e - 1) << 23);
    }
};

// A panel of MXFP4 rows decoded once per token block for products of more than two tokens:
// {f32 scale, int8 codes[32]} per block, the values Mxfp4Blocks gives, so the tiles compute the
// same bits whether they decode in registers or read this.
struct DecodedBlocks {
    static constexpr std::size_t kBytes = 36;
    static __m256i codes(const std::uint8_t* b) {
        return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 4));
    }
    static float scale(const std::uint8_t* b) {
        float s;
        std::memcpy(&s, b, 4);
        return s;
    }
};

// y[j * ldy + i] = row i · token j for R rows (stride rowBytes) and N tokens (stride lda blocks).
// Each (i, j) runs the same operations in the same order for every R and N. With
// kPrefetchNextPanel each block also prefetches the same block of the next panel's rows: the
// panel's four interleaved streams are too short for the hardware prefetcher (see
// kRowByRowTokens); +15% at 8 tokens, neutral at 64.
template <class B, int R, int N, bool kPrefetchNextPanel = false>
void tile(const std::uint8_t* row0, std::size_t rowBytes, std::int64_t nb, const BlockQ8A* a,
          std::int64_t lda, float* y, std::int64_t ldy) {
    __m256 acc[R][N];
    ATELIER_Q8_UNROLL for (int i = 0; i < R; ++i)
        ATELIER_Q8_UNROLL for (int j = 0; j < N; ++j) acc[i][j] = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b) {
        __m256i av[N];
        float ad[N];
        ATELIER_Q8_UNROLL for (int j = 0; j < N; ++j) {
            const BlockQ8A& blk = a[j * lda + b];
            av[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs));
            ad[j] = blk.d;
        }
        ATELIER_Q8_UNROLL for (int i = 0; i < R; ++i) {
            const std::uint8_t* wb = row0 + std::size_t(i) * rowBytes + std::size_t(b) * B::kBytes;
            if (kPrefetchNextPanel) _mm_prefetch(reinterpret_cast<const char*>(wb + R * rowBytes), _MM_HINT_T0);
            const __m256i wq = B::codes(wb);
            const __m256i wabs = _mm256_sign_epi8(wq, wq);
            const float dw = B::scale(wb);
            ATELIER_Q8_UNROLL for (int j = 0; j < N; ++j) {
                const __m256 p = _mm256_cvtepi32_ps(blockDot(wabs, _mm256_sign_epi8(av[j], wq)));
                acc[i][j] = _mm256_fmadd_ps(_mm256_set1_ps(dw * ad[j]), p, acc[i][j]);
            }
        }
    }
    ATELIER_Q8_UNROLL for (int i = 0; i < R; ++i)
        ATELIER_Q8_UNROLL for (int j = 0; j < N; ++j) y[j * ldy + i] = hsum(acc[i][j]);
}

template <class B, int N>
void panel(std::int64_t rn, const std::uint8_t* row0, std::size_t rowBytes, std::int64_t nb,
           const BlockQ8A* a, float* y, std::int64_t ldy) {
    switch (rn) {
    case 1: return tile<B, 1, N>(row0, rowBytes, nb, a, nb, y, ldy);
    case 2: return tile<B, 2, N>(row0, rowBytes, nb, a, nb, y, ldy);
    case 3: return tile<B, 3, N>(row0, rowBytes, nb, a, nb, y, ldy);
    default: return tile<B, 4, N, true>(row0, rowBytes, nb, a, nb, y, ldy);
    }
}

// Tiles of 2 tokens over tokens [t0, t0 + tn) for rn rows at row0; y at the panel's first row.
template <class B>
void panelTokens(std::int64_t rn, const std::uint8_t* row0, std::size_t rowBytes, std::int64_t nb,
                 const BlockQ8A* xq, std::int64_t t0, std::int64_t tn, float* y, std::int64_t ldy) {
    for (std::int64_t t = t0; t < t0 + tn; t += kTokens) {
        if (t + 1 < t0 + tn) panel<B, 2>(rn, row0, rowBytes, nb, xq + t * nb, y + t * ldy, ldy);
        else panel<B, 1>(rn, row0, rowBytes, nb, xq + t * nb, y + t * ldy, ldy);
    }
}

// Rows [0, rn) of B blocks at row0 → DecodedBlocks rows at out (stride nb · 36 bytes).
template <class B>
void decodePanel(const std::uint8_t* row0, std::size_t rowBytes, std::int64_t rn, std::int64_t nb,
                 std::uint8_t* out) {
    for (std::int64_t i = 0; i < rn; ++i)
        for (std::int64_t b = 0; b < nb; ++b, out += DecodedBlocks::kBytes) {
            const std::uint8_t* src = row0 + std::size_t(i) * rowBytes + std::size_t(b) * B::kBytes;
            const float sc = B::scale(src);
            std::memcpy(out, &sc, 4);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 4), B::codes(src));
        }
}

// Token blocks (their activations stay in L2), then 4-row panels (in L1 across the block's
// tiles; row by row for short products), then tiles of 2 tokens: a decode step reads each
// weight once. Panels of kDecodeOnce formats serving several tiles are decoded once first.
template <class B>
void gemmBlocks(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin, std::int64_t rowEnd,
                const BlockQ8A* xq, std::int64_t T, float* y, std::int64_t ldy) {
    const std::int64_t nb = cols / kQ8Block;
    const std::size_t rowBytes = std::size_t(nb) * B::kBytes;
    const std::size_t decodedRow = std::size_t(nb) * DecodedBlocks::kBytes;
    thread_local std::vector<std::uint8_t> decoded;
    if (B::kDecodeOnce && T > kTokens && decoded.size() < kRows * decodedRow) decoded.resize(kRows * decodedRow);
    for (std::int64_t t0 = 0; t0 < T; t0 += kTokenBlock) {
        const std::int64_t tn = T - t0 < kTokenBlock ? T - t0 : kTokenBlock;
        for (std::int64_t r0 = rowBegin; r0 < rowEnd; r0 += kRows) {
            const std::int64_t rn = rowEnd - r0 < kRows ? rowEnd - r0 : kRows;
            const std::uint8_t* row0 = w + std::size_t(r0) * rowBytes;
            float* out = y + (r0 - rowBegin);
            if (B::kDecodeOnce && tn > kTokens) {
                decodePanel<B>(row0, rowBytes, rn, nb, decoded.data());
                panelTokens<DecodedBlocks>(rn, decoded.data(), decodedRow, nb, xq, t0, tn, out, ldy);
            } else if (T <= kRowByRowTokens) {
                for (std::int64_t i = 0; i < rn; ++i)
                    panelTokens<B>(1, row0 + std::size_t(i) * rowBytes, rowBytes, nb, xq, t0, tn, out + i, ldy);
            } else {
                panelTokens<B>(rn, row0, rowBytes, nb, xq, t0, tn, out, ldy);
            }
        }
    }
}

}  // namespace
}  // namespace atelier::kernels
