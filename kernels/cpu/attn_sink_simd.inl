// attn_sink_f32 at a SIMD level, included by gemm_avx2.cpp and gemm_avx512.cpp after
// gemm_simd.inl (it uses their Simd, kAttnHeads, dotSimd and axpySimd). The same bits as
// attn_sink.cpp's body over that level's dot_f32 and axpy_f32: heads still go in groups of
// kAttnHeadGroup (attn_sink.h), and every score and output element is computed by the same
// operations in the same order; what changes is that kAttnHeads heads share each load of an
// entry:
// * scores: per entry, the heads' dots run side by side, each as dotSimd runs it (two
//   accumulators over alternate chunks of W, then hsum of their sum);
// * values: per 2W columns, the heads' outputs stay in registers while the entries stream
//   past, each element summed in entry order with one FMA per entry, as axpySimd sums it.
// At 128K an HCA layer's query reads 1,152 entries of 2 KB; one dot per (head, entry) was
// bound by the latency of its two FMA chains and axpy by its stores.
// Shapes the tiles do not cover (C not a multiple of 2W, a group's last heads) run the
// one-head loops.

#include <algorithm>
#include <cmath>

namespace atelier::kernels {
namespace {

// z[h·n + j] = scale · q_h · e_j and m[h] = max(m[h], z) for heads [0, TH) of q.
template <int TH>
void scoreTile(const float* q, int C, const float* const* entries, std::int64_t n, float scale,
               float* z, float* m) {
    using V = typename Simd::V;
    constexpr int W = Simd::W;
    for (std::int64_t j = 0; j < n; ++j) {
        const float* e = entries[j];
        V s0[TH], s1[TH];
        _Pragma("GCC unroll 8") for (int h = 0; h < TH; ++h) s0[h] = Simd::zero(), s1[h] = Simd::zero();
        for (int i = 0; i < C; i += 2 * W) {
            const V e0 = Simd::load(e + i), e1 = Simd::load(e + i + W);
            _Pragma("GCC unroll 8") for (int h = 0; h < TH; ++h) {
                s0[h] = Simd::fma(Simd::load(q + std::int64_t(h) * C + i), e0, s0[h]);
                s1[h] = Simd::fma(Simd::load(q + std::int64_t(h) * C + i + W), e1, s1[h]);
            }
        }
        _Pragma("GCC unroll 8") for (int h = 0; h < TH; ++h) {
            const float zj = Simd::hsum(Simd::add(s0[h], s1[h])) * scale;
            z[std::int64_t(h) * n + j] = zj;
            m[h] = std::max(m[h], zj);
        }
    }
}

// o_h = Σ_j p[h·n + j] · e_j for heads [0, TH), each element from 0 in entry order.
template <int TH>
void valueTile(const float* p, std::int64_t n, const float* const* entries, int C, float* o) {
    using V = typename Simd::V;
    constexpr int W = Simd::W;
    for (int i = 0; i < C; i += 2 * W) {
        V a0[TH], a1[TH];
        _Pragma("GCC unroll 8") for (int h = 0; h < TH; ++h) a0[h] = Simd::zero(), a1[h] = Simd::zero();
        for (std::int64_t j = 0; j < n; ++j) {
            const V e0 = Simd::load(entries[j] + i), e1 = Simd::load(entries[j] + i + W);
            _Pragma("GCC unroll 8") for (int h = 0; h < TH; ++h) {
                const V pv = Simd::broadcast(p[std::int64_t(h) * n + j]);
                a0[h] = Simd::fma(pv, e0, a0[h]);
                a1[h] = Simd::fma(pv, e1, a1[h]);
            }
        }
        _Pragma("GCC unroll 8") for (int h = 0; h < TH; ++h) {
            Simd::store(o + std::int64_t(h) * C + i, a0[h]);
            Simd::store(o + std::int64_t(h) * C + i + W, a1[h]);
        }
    }
}

void attnSinkSimd(const float* q, int H, int C, const float* const* entries, std::int64_t n,
                  const float* sinks, float scale, float* z, float* o) {
    const bool tiles = C % (2 * Simd::W) == 0;
    for (int g0 = 0; g0 < H; g0 += kAttnHeadGroup) {
        const int g1 = std::min(H, g0 + kAttnHeadGroup);
        // Heads [g0, tiled) run in tiles, the rest one at a time.
        const int tiled = tiles ? g0 + (g1 - g0) / kAttnHeads * kAttnHeads : g0;
        float m[kAttnHeadGroup], denom[kAttnHeadGroup];
        for (int h = g0; h < g1; ++h) m[h - g0] = sinks[h];
        for (int h = g0; h < tiled; h += kAttnHeads)
            scoreTile<kAttnHeads>(q + std::int64_t(h) * C, C, entries, n, scale,
                                  z + std::int64_t(h) * n, m + (h - g0));
        for (std::int64_t j = 0; j < n; ++j)
            for (int h = tiled; h < g1; ++h) {
                float& zj = z[std::int64_t(h) * n + j];
                zj = dotSimd(q + std::int64_t(h) * C, entries[j], C) * scale;
                m[h - g0] = std::max(m[h - g0], zj);
            }
        for (int h = g0; h < g1; ++h) denom[h - g0] = std::exp(sinks[h] - m[h - g0]);
        // The weights replace the scores in z (the caller's scratch), denominators in entry order.
        for (std::int64_t j = 0; j < n; ++j)
            for (int h = g0; h < g1; ++h) {
                float& zj = z[std::int64_t(h) * n + j];
                zj = std::exp(zj - m[h - g0]);
                denom[h - g0] += zj;
            }
        for (int h = g0; h < tiled; h += kAttnHeads)
            valueTile<kAttnHeads>(z + std::int64_t(h) * n, n, entries, C, o + std::int64_t(h) * C);
        for (int h = tiled; h < g1; ++h) {
            float* oh = o + std::int64_t(h) * C;
            std::fill(oh, oh + C, 0.0f);
            for (std::int64_t j = 0; j < n; ++j) axpySimd(z[std::int64_t(h) * n + j], entries[j], oh, C);
        }
        for (int h = g0; h < g1; ++h) {
            const float inv = 1.0f / denom[h - g0];
            float* oh = o + std::int64_t(h) * C;
            for (int i = 0; i < C; ++i) oh[i] *= inv;
        }
    }
}

}  // namespace
}  // namespace atelier::kernels
