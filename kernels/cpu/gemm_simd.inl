// The body shared by the SIMD gemm levels, included by gemm_avx2.cpp and gemm_avx512.cpp, each
// compiled with its own target flags. The includer defines, before including:
//   struct Simd { using V; static constexpr int W; zero, load, loadTail(p, n), loadBf16,
//                 loadF16, fma, hsum };
//   constexpr int kTileTokens;  // tokens per register tile (rows per tile is 4)
// Everything here has internal linkage (anonymous namespace), so the two compilations never
// meet at link time. Row decoders use 256-bit AVX2 + F16C, which every level here has.
//
// Loop order: token blocks of kTokenBlock (x stays in L2), then panels of 4 weight rows decoded
// once into scratch [4, ldp] f32 (F32, BF16 and F16 are read in place, converted in
// registers), then register tiles of
// 4 rows × kTileTokens tokens that do 4·kTileTokens FMAs per 4 + kTileTokens vector loads.

#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <utility>

#include "atelier/kernels/gemm.h"
#include "cpu/decode_scalar.h"

namespace atelier::kernels {
namespace {

constexpr std::int64_t kPanelRows = 4;
// Local, not std::min: no template instantiation shared with other targets' files.
constexpr std::int64_t minI(std::int64_t a, std::int64_t b) { return a < b ? a : b; }
constexpr std::int64_t kTokenBlock = 64;

// ---- row decoders: out[cols] f32 from stored row r ------------------------------------------

void decodeQ8_0(const std::uint8_t* p, std::int64_t cols, float* out) {
    for (std::int64_t b = 0; b < cols / 32; ++b, p += detail::kQ8_0BlockBytes) {
        const __m256 d = _mm256_set1_ps(detail::f16Value(detail::loadU16(p)));
        for (int k = 0; k < 4; ++k) {
            const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 2 + 8 * k));
            const __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
            _mm256_storeu_ps(out + b * 32 + 8 * k, _mm256_mul_ps(v, d));
        }
    }
}

// 8 E4M3 bytes → f32 · scale. The magnitude bits shifted into an f32 (exponent at bit 23) are
// the value times 2^−120 for normals and subnormals alike; 0x7f/0xff become NaN as in e4m3fn.
__m256 e4m3x8(const std::uint8_t* p, __m256 scale) {
    const __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    const __m256i mag = _mm256_and_si256(v, _mm256_set1_epi32(0x7f));
    const __m256i sign = _mm256_slli_epi32(_mm256_and_si256(v, _mm256_set1_epi32(0x80)), 24);
    __m256 f = _mm256_castsi256_ps(_mm256_or_si256(_mm256_slli_epi32(mag, 20), sign));
    f = _mm256_mul_ps(_mm256_mul_ps(f, _mm256_set1_ps(0x1p120f)), scale);
    const __m256i nan = _mm256_cmpeq_epi32(mag, _mm256_set1_epi32(0x7f));
    return _mm256_or_ps(f, _mm256_castsi256_ps(nan));
}

void decodeE4m3(const std::uint8_t* p, const std::uint8_t* scaleRow, std::int64_t cols, float* out) {
    for (std::int64_t b0 = 0; b0 < cols; b0 += 128) {
        const float s = detail::e8m0Value(scaleRow[b0 / 128]);
        const __m256 sv = _mm256_set1_ps(s);
        const std::int64_t end = minI(cols, b0 + 128);
        std::int64_t i = b0;
        for (; i + 8 <= end; i += 8) _mm256_storeu_ps(out + i, e4m3x8(p + i, sv));
        for (; i < end; ++i) out[i] = detail::e4m3Value(p[i]) * s;
    }
}

// Twice the E2M1 values as int8 (exact small integers), so a scale of s/2 gives E2M1 · s.
__m128i e2m1Doubled(__m128i nibbles) {
    const __m128i table = _mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
    return _mm_shuffle_epi8(table, nibbles);
}

// 32 int8 values (a then b) times `half` into out[32].
void storeInt8x32(__m128i a, __m128i b, __m256 half, float* out) {
    const __m128i parts[4] = {a, _mm_srli_si128(a, 8), b, _mm_srli_si128(b, 8)};
    for (int k = 0; k < 4; ++k)
        _mm256_storeu_ps(out + 8 * k, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(parts[k])), half));
}

// HF FP4 pairs: byte i holds elements 2i (low) and 2i + 1 (high); one scale per 32 elements.
void decodeE2m1(const std::uint8_t* p, const std::uint8_t* scaleRow, std::int64_t cols, float* out) {
    const __m128i low4 = _mm_set1_epi8(0x0f);
    for (std::int64_t b = 0; b < cols / 32; ++b) {
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * b));
        const __m128i lo = e2m1Doubled(_mm_and_si128(q, low4));
        const __m128i hi = e2m1Doubled(_mm_and_si128(_mm_srli_epi16(q, 4), low4));
        const __m256 half = _mm256_set1_ps(detail::e8m0Value(scaleRow[b]) * 0.5f);
        storeInt8x32(_mm_unpacklo_epi8(lo, hi), _mm_unpackhi_epi8(lo, hi), half, out + 32 * b);
    }
}

// ggml MXFP4: {e8m0, q[16]}: element j low nibble of q[j], element j + 16 its high nibble.
void decodeMxfp4(const std::uint8_t* p, std::int64_t cols, float* out) {
    const __m128i low4 = _mm_set1_epi8(0x0f);
    for (std::int64_t b = 0; b < cols / 32; ++b, p += detail::kMxfp4BlockBytes) {
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 1));
        const __m128i lo = e2m1Doubled(_mm_and_si128(q, low4));
        const __m128i hi = e2m1Doubled(_mm_and_si128(_mm_srli_epi16(q, 4), low4));
        const __m256 half = _mm256_set1_ps(detail::e8m0Value(p[0]) * 0.5f);
        storeInt8x32(lo, hi, half, out + 32 * b);
    }
}

void decodeRow(const WeightMatrix& w, std::int64_t r, float* out) {
    const std::int64_t cols = w.cols;
    const auto* bytes = static_cast<const std::uint8_t*>(w.data) + std::size_t(r) * weightRowBytes(w.format, cols);
    switch (w.format) {
    case WeightFormat::F32:
    case WeightFormat::BF16:
    case WeightFormat::F16: return;  // read in place (gemmInPlace), never decoded
    case WeightFormat::Q8_0: decodeQ8_0(bytes, cols, out); return;
    case WeightFormat::E4M3:
        decodeE4m3(bytes, w.scale + (r / 128) * ((cols + 127) / 128), cols, out);
        return;
    case WeightFormat::E2M1: decodeE2m1(bytes, w.scale + r * (cols / 32), cols, out); return;
    case WeightFormat::MXFP4: decodeMxfp4(bytes, cols, out); return;
    }
}

// ---- weight loaders: W floats of a stored row at element c (full and partial vectors) --------

struct LoadF32 {
    using T = float;
    static typename Simd::V load(const T* p) { return Simd::load(p); }
    static typename Simd::V loadTail(const T* p, int n) { return Simd::loadTail(p, n); }
};

// BF16 and F16 rows are converted in registers: no scratch round trip (decode is bound by
// the weight bytes, so the fewer instructions per byte the better).
struct LoadBf16 {
    using T = std::uint16_t;
    static typename Simd::V load(const T* p) { return Simd::loadBf16(p); }
    static typename Simd::V loadTail(const T* p, int n) {
        alignas(64) float tmp[Simd::W] = {};
        for (int i = 0; i < n; ++i) tmp[i] = detail::bf16Value(detail::loadU16(p + i));
        return Simd::load(tmp);
    }
};

struct LoadF16 {
    using T = std::uint16_t;
    static typename Simd::V load(const T* p) { return Simd::loadF16(p); }
    static typename Simd::V loadTail(const T* p, int n) {
        alignas(64) float tmp[Simd::W] = {};
        for (int i = 0; i < n; ++i) tmp[i] = detail::f16Value(detail::loadU16(p + i));
        return Simd::load(tmp);
    }
};

// ---- register tile: y[j * ldy + i] = w[i] · x[j] for R rows × N tokens ------------------------

// GCC at -O2 does not fully unroll these short constant loops by itself, and then keeps acc[][]
// on the stack (a load and a store around every FMA, ~4x slower): the pragmas unroll them so
// that the tile lives in registers. Each acc[i][j] sums its own token's products in column
// order whatever R and N are, so a token's result does not depend on its tile (batch
// invariance, issue #4).
#define ATELIER_UNROLL _Pragma("GCC unroll 16")

template <class L, int R, int N>
void tile(const typename L::T* w, std::int64_t ldw, const float* x, std::int64_t ldx,
          std::int64_t n, float* y, std::int64_t ldy) {
    typename Simd::V acc[R][N];
    ATELIER_UNROLL for (int i = 0; i < R; ++i)
        ATELIER_UNROLL for (int j = 0; j < N; ++j) acc[i][j] = Simd::zero();
    std::int64_t c = 0;
    for (; c + Simd::W <= n; c += Simd::W) {
        typename Simd::V xv[N];
        ATELIER_UNROLL for (int j = 0; j < N; ++j) xv[j] = Simd::load(x + j * ldx + c);
        ATELIER_UNROLL for (int i = 0; i < R; ++i) {
            const typename Simd::V wv = L::load(w + i * ldw + c);
            ATELIER_UNROLL for (int j = 0; j < N; ++j) acc[i][j] = Simd::fma(wv, xv[j], acc[i][j]);
        }
    }
    if (c < n) {
        const int rest = int(n - c);
        typename Simd::V xv[N];
        ATELIER_UNROLL for (int j = 0; j < N; ++j) xv[j] = Simd::loadTail(x + j * ldx + c, rest);
        ATELIER_UNROLL for (int i = 0; i < R; ++i) {
            const typename Simd::V wv = L::loadTail(w + i * ldw + c, rest);
            ATELIER_UNROLL for (int j = 0; j < N; ++j) acc[i][j] = Simd::fma(wv, xv[j], acc[i][j]);
        }
    }
    ATELIER_UNROLL for (int i = 0; i < R; ++i)
        ATELIER_UNROLL for (int j = 0; j < N; ++j) y[j * ldy + i] = Simd::hsum(acc[i][j]);
}

template <class L>
using TileFn = void (*)(const typename L::T*, std::int64_t, const float*, std::int64_t,
                        std::int64_t, float*, std::int64_t);

template <class L, int R, int... Ns>
constexpr void fillRow(TileFn<L>* row, std::integer_sequence<int, Ns...>) {
    ((row[Ns] = &tile<L, R, Ns + 1>), ...);
}

template <class L>
struct TileTable {
    TileFn<L> fn[kPanelRows][kTileTokens] = {};
    constexpr TileTable() {
        fillRow<L, 1>(fn[0], std::make_integer_sequence<int, kTileTokens>{});
        fillRow<L, 2>(fn[1], std::make_integer_sequence<int, kTileTokens>{});
        fillRow<L, 3>(fn[2], std::make_integer_sequence<int, kTileTokens>{});
        fillRow<L, 4>(fn[3], std::make_integer_sequence<int, kTileTokens>{});
    }
};
template <class L>
constexpr TileTable<L> kTiles{};

// Rows [0, rn) of the panel at `panel` (stride ldw) against tokens [0, tn) of x.
template <class L>
void panelTimesTokens(const typename L::T* panel, std::int64_t ldw, std::int64_t rn,
                      const float* x, std::int64_t cols, std::int64_t tn, float* y,
                      std::int64_t ldy) {
    for (std::int64_t t = 0; t < tn; t += kTileTokens) {
        const std::int64_t nt = minI(kTileTokens, tn - t);
        kTiles<L>.fn[rn - 1][nt - 1](panel, ldw, x + t * cols, cols, cols, y + t * ldy, ldy);
    }
}

// Formats read in place (F32, BF16, F16): tiles straight on the stored rows.
template <class L>
void gemmInPlace(const typename L::T* w, std::int64_t cols, std::int64_t rowBegin,
                 std::int64_t rowEnd, const float* x, std::int64_t T, float* y, std::int64_t ldy) {
    for (std::int64_t t0 = 0; t0 < T; t0 += kTokenBlock) {
        const std::int64_t tn = minI(kTokenBlock, T - t0);
        for (std::int64_t r0 = rowBegin; r0 < rowEnd; r0 += kPanelRows)
            panelTimesTokens<L>(w + r0 * cols, cols, minI(kPanelRows, rowEnd - r0), x + t0 * cols,
                                cols, tn, y + t0 * ldy + (r0 - rowBegin), ldy);
    }
}

void gemmSimd(const WeightMatrix& w, std::int64_t rowBegin, std::int64_t rowEnd, const float* x,
              std::int64_t T, float* y, std::int64_t ldy, float* scratch) {
    const std::int64_t cols = w.cols;
    switch (w.format) {
    case WeightFormat::F32:
        return gemmInPlace<LoadF32>(static_cast<const float*>(w.data), cols, rowBegin, rowEnd, x, T, y, ldy);
    case WeightFormat::BF16:
        return gemmInPlace<LoadBf16>(static_cast<const std::uint16_t*>(w.data), cols, rowBegin,
                                     rowEnd, x, T, y, ldy);
    case WeightFormat::F16:
        return gemmInPlace<LoadF16>(static_cast<const std::uint16_t*>(w.data), cols, rowBegin,
                                    rowEnd, x, T, y, ldy);
    default: break;
    }
    // Block formats: decode a panel of rows once per token block into scratch [4, ldp].
    const std::int64_t ldp = (cols + 15) / 16 * 16;
    for (std::int64_t t0 = 0; t0 < T; t0 += kTokenBlock) {
        const std::int64_t tn = minI(kTokenBlock, T - t0);
        for (std::int64_t r0 = rowBegin; r0 < rowEnd; r0 += kPanelRows) {
            const std::int64_t rn = minI(kPanelRows, rowEnd - r0);
            for (std::int64_t i = 0; i < rn; ++i) decodeRow(w, r0 + i, scratch + i * ldp);
            panelTimesTokens<LoadF32>(scratch, ldp, rn, x + t0 * cols, cols, tn,
                                      y + t0 * ldy + (r0 - rowBegin), ldy);
        }
    }
}

// a · b with two accumulators (independent FMA chains).
float dotSimd(const float* a, const float* b, std::int64_t n) {
    typename Simd::V s0 = Simd::zero(), s1 = Simd::zero();
    std::int64_t i = 0;
    for (; i + 2 * Simd::W <= n; i += 2 * Simd::W) {
        s0 = Simd::fma(Simd::load(a + i), Simd::load(b + i), s0);
        s1 = Simd::fma(Simd::load(a + i + Simd::W), Simd::load(b + i + Simd::W), s1);
    }
    for (; i < n; i += Simd::W) {
        const int rest = int(minI(Simd::W, n - i));
        s0 = Simd::fma(Simd::loadTail(a + i, rest), Simd::loadTail(b + i, rest), s0);
    }
    return Simd::hsum(Simd::add(s0, s1));
}

void axpySimd(float alpha, const float* x, float* y, std::int64_t n) {
    const typename Simd::V av = Simd::broadcast(alpha);
    std::int64_t i = 0;
    for (; i + Simd::W <= n; i += Simd::W) Simd::store(y + i, Simd::fma(av, Simd::load(x + i), Simd::load(y + i)));
    for (; i < n; ++i) y[i] += alpha * x[i];
}

}  // namespace
}  // namespace atelier::kernels
