// AVX-512 VNNI Q8_0 and MXFP4 × int8-activation kernels (gemm_q8.h), compiled with -mavx512f
// -mavx512bw -mavx512vl -mavx512vnni and only called when the CPU has VNNI.
//
// Two blocks of 32 per register. vpdpbusd multiplies unsigned by signed bytes, so the
// activations enter offset by 128 (a + 128 in [1, 255]) and each int32 lane starts from
// −128 · (the sum of its four weight codes): one vpdpbusd then leaves the lane's exact Σ w·a
// (|lane| ≤ 4 · 128 · 127), the int32 lanes the AVX2 kernel gets from vpmaddubsw + vpmaddwd.
// Each lane is converted, scaled by its block's d_w · d_a and accumulated in f32; the 16 lanes
// are summed at the end. Register tiles of up to 4 rows × 4 tokens. Every (row, token) runs the
// same operations in the same order whatever the tile, the token count and the path (rows
// decoded in registers one after another for T ≤ 4, 4-row panels decoded once per token block
// beyond), so a token's result does not depend on its batch (issue #4).

#include "atelier/kernels/gemm_q8.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__) && defined(__F16C__)
#include <immintrin.h>

#include <array>
#include <cstring>
#include <vector>

#include "cpu/decode_scalar.h"

// g++ 12 flags the deliberately undefined upper lanes inside its own cast and insert intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace atelier::kernels {
namespace {

constexpr std::int64_t kRows = 4;          // rows per register tile and panel
constexpr std::int64_t kTokens = 4;        // tokens per register tile
constexpr std::int64_t kTokenBlock = 64;   // tokens whose activations stay in L2 per row panel
// Products of at most this many tokens (decode steps) read the rows one after another in
// registers, one sequential stream for the hardware prefetcher (see gemm_q8_avx2.cpp); longer
// ones decode 4-row panels once per token block.
constexpr std::int64_t kRowByRowTokens = kTokens;

#define ATELIER_VNNI_UNROLL _Pragma("GCC unroll 8")

[[gnu::always_inline]] inline __m512i cat(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// Lanes 0-7 s0, lanes 8-15 s1: one f32 scale per block of a pair.
[[gnu::always_inline]] inline __m512 pairScale(float s0, float s1) {
    return _mm512_mask_broadcastss_ps(_mm512_set1_ps(s0), 0xff00, _mm_set_ss(s1));
}

// Weight blocks 2p and 2p + 1 of a row as 64 int8 codes (the second half zero when the row ends
// after block 2p) and one f32 scale per block: Q8_0 {f16 d, int8 q[32]} as stored; MXFP4 {e8m0
// s, 16 bytes: element j low nibble, j + 16 high} as twice the E2M1 values with scale s / 2 (the
// AVX2 kernel's codes and scales, bit for bit).
struct Q8_0Blocks {
    static constexpr std::size_t kBytes = detail::kQ8_0BlockBytes;
    template <bool kTwo>
    static __m512i codes(const std::uint8_t* b) {
        const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 2));
        if (!kTwo) return _mm512_zextsi256_si512(lo);
        return cat(lo, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + kBytes + 2)));
    }
    static float scale(const std::uint8_t* b) {
        std::uint16_t h;
        std::memcpy(&h, b, 2);
        return _cvtsh_ss(h);
    }
};
struct Mxfp4Blocks {
    static constexpr std::size_t kBytes = detail::kMxfp4BlockBytes;
    template <bool kTwo>
    static __m512i codes(const std::uint8_t* b) {
        const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 1));
        const __m128i q1 = kTwo ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + kBytes + 1)) : _mm_setzero_si128();
        const __m512i z = _mm512_castsi256_si512(_mm256_set_m128i(q1, q0));
        const __m512i dup = _mm512_shuffle_i64x2(z, z, 0x50);  // 128-bit lanes q0, q0, q1, q1
        const __m512i nibbles = _mm512_and_si512(_mm512_mask_blend_epi64(0xcc, dup, _mm512_srli_epi16(dup, 4)),
                                                 _mm512_set1_epi8(15));
        const __m512i table = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12));
        return _mm512_shuffle_epi8(table, nibbles);  // a missing second block: nibbles 0, code 0
    }
    // e8m0Value(e) / 2 = 2^(e − 128): the exponent field e − 1 for e ≥ 2, subnormal below, NaN
    // for 255 (the AVX2 kernel's values), looked up.
    static constexpr auto kHalfScales = [] {
        std::array<std::uint32_t, 256> bits{};
        for (std::uint32_t e = 0; e < 256; ++e) bits[e] = e == 255 ? 0x7fc00000u : e < 2 ? 0x200000u << e : (e - 1) << 23;
        return bits;
    }();
    static float scale(const std::uint8_t* b) { return detail::bitsToFloat(kHalfScales[b[0]]); }
};

// 64 bytes of codes, aligned for one load.
struct alignas(64) Codes64 {
    std::uint8_t bytes[64];
};

struct WeightPair {
    __m512i codes;
    __m512 scale;
};

// Rows read in place: row i of the tile at row0 + i · rowBytes.
template <class B>
struct StoredRows {
    const std::uint8_t* row0;
    std::size_t rowBytes;
    template <bool kTwo>
    [[gnu::always_inline]] WeightPair pair(std::int64_t i, std::int64_t p) const {
        const std::uint8_t* b = row0 + std::size_t(i) * rowBytes + std::size_t(2 * p) * B::kBytes;
        return {B::template codes<kTwo>(b), pairScale(B::scale(b), kTwo ? B::scale(b + B::kBytes) : 0.0f)};
    }
};

// A panel of up to kRows rows decoded once per token block: the values StoredRows gives.
struct DecodedRows {
    const Codes64* codes;  // [rows, np]
    const float* scales;   // [rows, np, 2]
    std::int64_t np;
    template <bool>
    [[gnu::always_inline]] WeightPair pair(std::int64_t i, std::int64_t p) const {
        const float* s = scales + 2 * (i * np + p);
        return {_mm512_load_si512(codes[i * np + p].bytes), pairScale(s[0], s[1])};
    }
};

struct Panel {
    std::vector<Codes64> codes;
    std::vector<float> scales;
};

// Rows [0, rn) at row0 → panel (np pairs a row; a missing last block has zero codes and scale).
template <class B>
DecodedRows decodePanel(const std::uint8_t* row0, std::size_t rowBytes, std::int64_t rn, std::int64_t nb,
                        Panel& panel) {
    const std::int64_t np = (nb + 1) / 2;
    if (panel.codes.size() < std::size_t(kRows * np)) {
        panel.codes.resize(std::size_t(kRows * np));
        panel.scales.resize(std::size_t(2 * kRows * np));
    }
    const StoredRows<B> rows{row0, rowBytes};
    for (std::int64_t i = 0; i < rn; ++i) {
        for (std::int64_t p = 0; p < nb / 2; ++p) {
            const std::uint8_t* b = row0 + std::size_t(i) * rowBytes + std::size_t(2 * p) * B::kBytes;
            _mm512_store_si512(panel.codes[std::size_t(i * np + p)].bytes, rows.template pair<true>(i, p).codes);
            panel.scales[std::size_t(2 * (i * np + p))] = B::scale(b);
            panel.scales[std::size_t(2 * (i * np + p) + 1)] = B::scale(b + B::kBytes);
        }
        if (nb % 2) {
            const std::int64_t p = nb / 2;
            _mm512_store_si512(panel.codes[std::size_t(i * np + p)].bytes, rows.template pair<false>(i, p).codes);
            panel.scales[std::size_t(2 * (i * np + p))] = B::scale(row0 + std::size_t(i) * rowBytes + std::size_t(2 * p) * B::kBytes);
            panel.scales[std::size_t(2 * (i * np + p) + 1)] = 0.0f;
        }
    }
    return {panel.codes.data(), panel.scales.data(), np};
}

// Activations of a token block in pairs of blocks: codes + 128 as unsigned bytes (128, a zero
// activation, in the missing half of an odd last pair) and one scale per block (0 there).
struct ActPack {
    std::vector<Codes64> codes;  // [tokens, np]
    std::vector<float> scales;   // [tokens, np, 2]
    std::int64_t np = 0;

    void fill(const BlockQ8A* xq, std::int64_t tn, std::int64_t nb) {
        np = (nb + 1) / 2;
        if (codes.size() < std::size_t(tn * np)) {
            codes.resize(std::size_t(tn * np));
            scales.resize(std::size_t(2 * tn * np));
        }
        const __m512i bias = _mm512_set1_epi8(char(0x80));
        for (std::int64_t t = 0; t < tn; ++t)
            for (std::int64_t p = 0; p < np; ++p) {
                const BlockQ8A* a = xq + t * nb + 2 * p;
                const bool two = 2 * p + 1 < nb;
                const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[0].qs));
                const __m256i hi = two ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[1].qs)) : _mm256_setzero_si256();
                _mm512_store_si512(codes[std::size_t(t * np + p)].bytes, _mm512_xor_si512(cat(lo, hi), bias));
                scales[std::size_t(2 * (t * np + p))] = a[0].d;
                scales[std::size_t(2 * (t * np + p) + 1)] = two ? a[1].d : 0.0f;
            }
    }
};

// One pair of blocks for an R × N tile: acc[i][j] += Σ lanes (w_i · a_j) · d_wi · d_aj.
template <bool kTwo, int R, int N, class Rows>
[[gnu::always_inline]] inline void tileStep(const Rows& w, const ActPack& a, std::int64_t t0, std::int64_t p,
                                            __m512 (&acc)[R][N]) {
    const __m512i bias = _mm512_set1_epi8(char(0x80)), zero = _mm512_setzero_si512();
    __m512i av[N];
    __m512 ad[N];
    ATELIER_VNNI_UNROLL for (int j = 0; j < N; ++j) {
        const std::size_t at = std::size_t((t0 + j) * a.np + p);
        av[j] = _mm512_load_si512(a.codes[at].bytes);
        ad[j] = pairScale(a.scales[2 * at], a.scales[2 * at + 1]);
    }
    ATELIER_VNNI_UNROLL for (int i = 0; i < R; ++i) {
        const WeightPair wp = w.template pair<kTwo>(i, p);
        // −128 · Σ w per lane: the start that removes the activations' +128.
        const __m512i start = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, bias, wp.codes));
        ATELIER_VNNI_UNROLL for (int j = 0; j < N; ++j) {
            const __m512i s = _mm512_dpbusd_epi32(start, av[j], wp.codes);
            acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(wp.scale, ad[j]), acc[i][j]);
        }
    }
}

// y[j * ldy + i] = row i · token t0 + j for R rows and N tokens of the pack.
template <int R, int N, class Rows>
void tile(const Rows& w, std::int64_t nb, const ActPack& a, std::int64_t t0, float* y, std::int64_t ldy) {
    __m512 acc[R][N];
    ATELIER_VNNI_UNROLL for (int i = 0; i < R; ++i)
        ATELIER_VNNI_UNROLL for (int j = 0; j < N; ++j) acc[i][j] = _mm512_setzero_ps();
    for (std::int64_t p = 0; p < nb / 2; ++p) tileStep<true>(w, a, t0, p, acc);
    if (nb % 2) tileStep<false>(w, a, t0, nb / 2, acc);
    ATELIER_VNNI_UNROLL for (int i = 0; i < R; ++i)
        ATELIER_VNNI_UNROLL for (int j = 0; j < N; ++j) y[j * ldy + i] = _mm512_reduce_add_ps(acc[i][j]);
}

template <int R, class Rows>
void tileTokens(std::int64_t tn, const Rows& w, std::int64_t nb, const ActPack& a, std::int64_t t0, float* y,
                std::int64_t ldy) {
    switch (tn) {
    case 1: return tile<R, 1>(w, nb, a, t0, y, ldy);
    case 2: return tile<R, 2>(w, nb, a, t0, y, ldy);
    case 3: return tile<R, 3>(w, nb, a, t0, y, ldy);
    default: return tile<R, 4>(w, nb, a, t0, y, ldy);
    }
}

// Tiles of kTokens over the pack's tokens [0, tn) for rn rows; y at the first row and token.
template <class Rows>
void panelTokens(std::int64_t rn, const Rows& w, std::int64_t nb, const ActPack& a, std::int64_t tn, float* y,
                 std::int64_t ldy) {
    for (std::int64_t t = 0; t < tn; t += kTokens) {
        const std::int64_t n = tn - t < kTokens ? tn - t : kTokens;
        switch (rn) {
        case 1: tileTokens<1>(n, w, nb, a, t, y + t * ldy, ldy); break;
        case 2: tileTokens<2>(n, w, nb, a, t, y + t * ldy, ldy); break;
        case 3: tileTokens<3>(n, w, nb, a, t, y + t * ldy, ldy); break;
        default: tileTokens<4>(n, w, nb, a, t, y + t * ldy, ldy); break;
        }
    }
}

// Token blocks (their activations packed once, in L2), then rows one after another (T ≤ 4) or
// 4-row panels decoded once, then tiles of 4 tokens: a decode step reads each weight once.
template <class B>
void gemmBlocks(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin, std::int64_t rowEnd,
                const BlockQ8A* xq, std::int64_t T, float* y, std::int64_t ldy) {
    const std::int64_t nb = cols / kQ8Block;
    const std::size_t rowBytes = std::size_t(nb) * B::kBytes;
    thread_local ActPack pack;
    thread_local Panel panel;
    for (std::int64_t t0 = 0; t0 < T; t0 += kTokenBlock) {
        const std::int64_t tn = T - t0 < kTokenBlock ? T - t0 : kTokenBlock;
        pack.fill(xq + t0 * nb, tn, nb);
        float* yb = y + t0 * ldy;
        if (T <= kRowByRowTokens) {
            for (std::int64_t r = rowBegin; r < rowEnd; ++r)
                panelTokens(1, StoredRows<B>{w + std::size_t(r) * rowBytes, rowBytes}, nb, pack, tn, yb + (r - rowBegin), ldy);
            continue;
        }
        for (std::int64_t r0 = rowBegin; r0 < rowEnd; r0 += kRows) {
            const std::int64_t rn = rowEnd - r0 < kRows ? rowEnd - r0 : kRows;
            const DecodedRows rows = decodePanel<B>(w + std::size_t(r0) * rowBytes, rowBytes, rn, nb, panel);
            panelTokens(rn, rows, nb, pack, tn, yb + (r0 - rowBegin), ldy);
        }
    }
}

}  // namespace

void gemm_q8_0_q8a_avx512vnni(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                              std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                              std::int64_t ldy) {
    gemmBlocks<Q8_0Blocks>(w, cols, rowBegin, rowEnd, xq, T, y, ldy);
}

void gemm_mxfp4_q8a_avx512vnni(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                               std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                               std::int64_t ldy) {
    gemmBlocks<Mxfp4Blocks>(w, cols, rowBegin, rowEnd, xq, T, y, ldy);
}

}  // namespace atelier::kernels

#else  // not built for AVX-512 VNNI: never dispatched here, but the symbols must exist

namespace atelier::kernels {
void gemm_q8_0_q8a_avx512vnni(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                              std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                              std::int64_t ldy) {
    gemm_q8_0_q8a_avx2(w, cols, rowBegin, rowEnd, xq, T, y, ldy);
}
void gemm_mxfp4_q8a_avx512vnni(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                               std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                               std::int64_t ldy) {
    gemm_mxfp4_q8a_avx2(w, cols, rowBegin, rowEnd, xq, T, y, ldy);
}
}  // namespace atelier::kernels

#endif
