// The body shared by the SIMD gemm levels, included by gemm_avx2.cpp and gemm_avx512.cpp, each
// compiled with its own target flags. The includer defines, before including:
//   struct Simd { using V; static constexpr int W; zero, load, loadTail(p, n), fma, hsum };
//   constexpr int kTileTokens;  // tokens per register tile (rows per tile is 4)
// Everything here has internal linkage (anonymous namespace), so the two compilations never
// meet at link time. Row decoders use 256-bit AVX2 + F16C, which every level here has.
//
// Loop order: token blocks of kTokenBlock (x stays in L2), then panels of 4 weight rows decoded
// once into scratch [4, ldp] f32 (F32 is read in place), then register tiles of
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

void decodeBf16(const std::uint16_t* p, std::int64_t cols, float* out) {
    std::int64_t i = 0;
    for (; i + 8 <= cols; i += 8) {
        const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)));
        _mm256_storeu_ps(out + i, _mm256_castsi256_ps(_mm256_slli_epi32(h, 16)));
    }
    for (; i < cols; ++i) out[i] = detail::bf16Value(detail::loadU16(p + i));
}

void decodeF16(const std::uint16_t* p, std::int64_t cols, float* out) {
    std::int64_t i = 0;
    for (; i + 8 <= cols; i += 8)
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))));
    for (; i < cols; ++i) out[i] = detail::f16Value(detail::loadU16(p + i));
}

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
    case WeightFormat::F32: std::memcpy(out, bytes, std::size_t(cols) * 4); return;
    case WeightFormat::BF16: decodeBf16(reinterpret_cast<const std::uint16_t*>(bytes), cols, out); return;
    case WeightFormat::F16: decodeF16(reinterpret_cast<const std::uint16_t*>(bytes), cols, out); return;
    case WeightFormat::Q8_0: decodeQ8_0(bytes, cols, out); return;
    case WeightFormat::E4M3:
        decodeE4m3(bytes, w.scale + (r / 128) * ((cols + 127) / 128), cols, out);
        return;
    case WeightFormat::E2M1: decodeE2m1(bytes, w.scale + r * (cols / 32), cols, out); return;
    case WeightFormat::MXFP4: decodeMxfp4(bytes, cols, out); return;
    }
}

// ---- register tile: y[j * ldy + i] = w[i] · x[j] for R rows × N tokens ------------------------

template <int R, int N>
void tile(const float* w, std::int64_t ldw, const float* x, std::int64_t ldx, std::int64_t n,
          float* y, std::int64_t ldy) {
    typename Simd::V acc[R][N];
    for (int i = 0; i < R; ++i)
        for (int j = 0; j < N; ++j) acc[i][j] = Simd::zero();
    std::int64_t c = 0;
    for (; c + Simd::W <= n; c += Simd::W) {
        typename Simd::V xv[N];
        for (int j = 0; j < N; ++j) xv[j] = Simd::load(x + j * ldx + c);
        for (int i = 0; i < R; ++i) {
            const typename Simd::V wv = Simd::load(w + i * ldw + c);
            for (int j = 0; j < N; ++j) acc[i][j] = Simd::fma(wv, xv[j], acc[i][j]);
        }
    }
    if (c < n) {
        const int rest = int(n - c);
        typename Simd::V xv[N];
        for (int j = 0; j < N; ++j) xv[j] = Simd::loadTail(x + j * ldx + c, rest);
        for (int i = 0; i < R; ++i) {
            const typename Simd::V wv = Simd::loadTail(w + i * ldw + c, rest);
            for (int j = 0; j < N; ++j) acc[i][j] = Simd::fma(wv, xv[j], acc[i][j]);
        }
    }
    for (int i = 0; i < R; ++i)
        for (int j = 0; j < N; ++j) y[j * ldy + i] = Simd::hsum(acc[i][j]);
}

using TileFn = void (*)(const float*, std::int64_t, const float*, std::int64_t, std::int64_t,
                        float*, std::int64_t);

template <int R, int... Ns>
constexpr void fillRow(TileFn* row, std::integer_sequence<int, Ns...>) {
    ((row[Ns] = &tile<R, Ns + 1>), ...);
}

struct TileTable {
    TileFn fn[kPanelRows][kTileTokens] = {};
    constexpr TileTable() {
        fillRow<1>(fn[0], std::make_integer_sequence<int, kTileTokens>{});
        fillRow<2>(fn[1], std::make_integer_sequence<int, kTileTokens>{});
        fillRow<3>(fn[2], std::make_integer_sequence<int, kTileTokens>{});
        fillRow<4>(fn[3], std::make_integer_sequence<int, kTileTokens>{});
    }
};
constexpr TileTable kTiles{};

// Rows [r0, r0 + rn) of the panel at `panel` (stride ldw) against tokens [t0, t0 + tn).
void panelTimesTokens(const float* panel, std::int64_t ldw, std::int64_t rn, const float* x,
                      std::int64_t cols, std::int64_t tn, float* y, std::int64_t ldy) {
    for (std::int64_t t = 0; t < tn; t += kTileTokens) {
        const std::int64_t nt = minI(kTileTokens, tn - t);
        kTiles.fn[rn - 1][nt - 1](panel, ldw, x + t * cols, cols, cols, y + t * ldy, ldy);
    }
}

void gemmSimd(const WeightMatrix& w, std::int64_t rowBegin, std::int64_t rowEnd, const float* x,
              std::int64_t T, float* y, std::int64_t ldy, float* scratch) {
    const std::int64_t cols = w.cols;
    const std::int64_t ldp = (cols + 15) / 16 * 16;
    for (std::int64_t t0 = 0; t0 < T; t0 += kTokenBlock) {
        const std::int64_t tn = minI(kTokenBlock, T - t0);
        for (std::int64_t r0 = rowBegin; r0 < rowEnd; r0 += kPanelRows) {
            const std::int64_t rn = minI(kPanelRows, rowEnd - r0);
            const float* panel = scratch;
            std::int64_t ldw = ldp;
            if (w.format == WeightFormat::F32) {
                panel = static_cast<const float*>(w.data) + r0 * cols;
                ldw = cols;
            } else {
                for (std::int64_t i = 0; i < rn; ++i) decodeRow(w, r0 + i, scratch + i * ldp);
            }
            panelTimesTokens(panel, ldw, rn, x + t0 * cols, cols, tn,
                             y + t0 * ldy + (r0 - rowBegin), ldy);
        }
    }
}

}  // namespace
}  // namespace atelier::kernels
