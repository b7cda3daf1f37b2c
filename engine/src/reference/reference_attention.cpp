// One attention sub-layer over the whole sequence (spec §4, §5.3, §7.1): the q path with its
// per-head weightless norm, the raw KV path, the layer's compressed entries (all of them for
// HCA, the indexer's top-k for CSA), sink attention over window ∪ compressed entries, the
// inverse RoPE at the query position and the grouped low-rank output projection.

#include <algorithm>
#include <cmath>
#include <limits>

#include "reference/reference_layers.h"

namespace atelier::engine::reference {
namespace {

struct TokenAttentionInputs {
    Rows cQ;               // [T][d_c] query latent (also the indexer's)
    std::vector<Rows> q;   // [T][H][c]
    Rows kv;               // [T][c] raw entries, key and value
};

// q path (§4.1) for one token: cQ and the H query heads.
void queryPath(const Context& ctx, const AttentionWeights& w, std::span<const double> x,
               std::size_t p, std::span<const double> freqs, TokenAttentionInputs& out) {
    const ModelConfig& c = ctx.config;
    const auto hd = std::size_t(c.headDim), r = std::size_t(c.ropeHeadDim);
    Vec cq = rmsNorm(linear(w.wqA, x, ctx.release), w.qNorm, c.normEps);
    if (ctx.release) bf16Round(cq);
    const Vec all = linear(w.wqB, cq, ctx.release);  // [H·c]
    Rows heads;
    for (std::size_t h = 0; h < std::size_t(c.nHeads); ++h) {
        const std::span<const double> raw(all.data() + h * hd, hd);
        Vec qh = rmsNorm(raw, {}, c.normEps);
        applyRope(std::span(qh).last(r), freqs, double(p), false);
        if (ctx.release) bf16Round(qh);  // the attention kernel reads bf16
        heads.push_back(std::move(qh));
    }
    out.cQ.push_back(std::move(cq));
    out.q.push_back(std::move(heads));
}

// Raw KV path (§4.2) for one token: [c].
Vec kvPath(const Context& ctx, const AttentionWeights& w, std::span<const double> x,
           std::size_t p, std::span<const double> freqs) {
    const ModelConfig& c = ctx.config;
    const auto hd = std::size_t(c.headDim), r = std::size_t(c.ropeHeadDim);
    Vec kv = rmsNorm(linear(w.wkv, x, ctx.release), w.kvNorm, c.normEps);
    if (ctx.release) bf16Round(kv);
    applyRope(std::span(kv).last(r), freqs, double(p), false);
    if (ctx.release) {
        fp8Simulate(std::span(kv).first(hd - r), 64);
        bf16Round(std::span(kv).last(r));
    }
    return kv;
}

// Entries query p attends to (§5.3): window max(0, p−W+1)…p, then compressed entries.
std::vector<const Vec*> visibleEntries(const Context& ctx, int ratio, std::size_t p,
                                       const Rows& kv, const Rows& compressed,
                                       const std::vector<int>* selected) {
    const auto W = std::size_t(ctx.config.windowSize);
    std::vector<const Vec*> set;
    for (std::size_t j = p + 1 > W ? p + 1 - W : 0; j <= p; ++j) set.push_back(&kv[j]);
    if (ratio == 128)
        for (std::size_t i = 0; i < (p + 1) / 128; ++i) set.push_back(&compressed[i]);
    if (ratio == 4 && selected)
        for (int i : *selected) set.push_back(&compressed[std::size_t(i)]);
    return set;
}

// Heads' outputs [H·c] → inverse RoPE at p → grouped low-rank projection (§4.5) → [d].
Vec outputPath(const Context& ctx, const AttentionWeights& w, Vec o, std::size_t p,
               std::span<const double> freqs) {
    const ModelConfig& c = ctx.config;
    const auto hd = std::size_t(c.headDim), r = std::size_t(c.ropeHeadDim);
    for (std::size_t h = 0; h < std::size_t(c.nHeads); ++h) {
        std::span<double> oh(o.data() + h * hd, hd);
        if (ctx.release) bf16Round(oh);  // the kernel writes bf16
        applyRope(oh.last(r), freqs, double(p), true);
        if (ctx.release) bf16Round(oh.last(r));
    }
    const auto groups = std::size_t(c.oGroups), dg = std::size_t(c.oLoraRank);
    const std::size_t groupWidth = o.size() / groups;  // (H/g)·c, head-major
    Vec u;
    for (std::size_t g = 0; g < groups; ++g) {
        Vec ug = matVec(w.woA, std::span<const double>(o.data() + g * groupWidth, groupWidth),
                        std::int64_t(g * dg), std::int64_t((g + 1) * dg));
        if (ctx.release) bf16Round(ug);  // BF16 einsum
        u.insert(u.end(), ug.begin(), ug.end());
    }
    return linear(w.woB, u, ctx.release);
}

}  // namespace

Vec sinkAttention(std::span<const double> q, const std::vector<const Vec*>& entries, double sink,
                  double scale) {
    Vec z(entries.size());
    double mx = sink;
    for (std::size_t j = 0; j < entries.size(); ++j) {
        double s = 0.0;
        for (std::size_t i = 0; i < q.size(); ++i) s += q[i] * (*entries[j])[i];
        z[j] = s * scale;
        mx = std::max(mx, z[j]);
    }
    double den = std::exp(sink - mx);
    Vec o(q.size(), 0.0);
    for (std::size_t j = 0; j < entries.size(); ++j) {
        const double e = std::exp(z[j] - mx);
        den += e;
        for (std::size_t i = 0; i < o.size(); ++i) o[i] += e * (*entries[j])[i];
    }
    for (double& v : o) v /= den;
    return o;
}

Rows attentionLayer(const Context& ctx, int layer, const AttentionWeights& w, const Rows& xs) {
    const ModelConfig& c = ctx.config;
    const Vec freqs = layerRopeFrequencies(c, layer);
    const int ratio = c.compressRatio(layer);
    TokenAttentionInputs in;
    for (std::size_t p = 0; p < xs.size(); ++p) {
        queryPath(ctx, w, xs[p], p, freqs, in);
        in.kv.push_back(kvPath(ctx, w, xs[p], p, freqs));
    }
    Rows compressed;
    if (ratio != 0)
        compressed = compressEntries(ctx, *w.compressor, xs, ratio, freqs, CompressedKind::Main);
    std::vector<std::vector<int>> selected;
    if (ratio == 4) selected = indexerSelect(ctx, *w.indexer, xs, in.cQ, freqs);

    const double scale = 1.0 / std::sqrt(double(c.headDim));  // over all c dims, RoPE included
    Rows out;
    for (std::size_t p = 0; p < xs.size(); ++p) {
        const auto set = visibleEntries(ctx, ratio, p, in.kv, compressed,
                                        ratio == 4 ? &selected[p] : nullptr);
        Vec o;
        for (std::size_t h = 0; h < std::size_t(c.nHeads); ++h) {
            const Vec oh = sinkAttention(in.q[p][h], set, w.sink[h], scale);
            o.insert(o.end(), oh.begin(), oh.end());
        }
        out.push_back(outputPath(ctx, w, std::move(o), p, freqs));
    }
    return out;
}

}  // namespace atelier::engine::reference
