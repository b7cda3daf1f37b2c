// The lightning indexer of CSA layers (spec §5.2): per query p, score every visible compressed
// indexer key with I_{p,s} = Σ_h w_h·ReLU(qI_h·K_s) and keep the top min(index_topk, #visible),
// ties broken by the lower entry index.

#include <algorithm>
#include <cmath>
#include <numeric>

#include "reference/reference_layers.h"

namespace atelier::engine::reference {
namespace {

// qI for one query: [n_I][c_I], RoPE'd at p on the last r dims, Hadamard-rotated and (Release)
// FP4-simulated like the keys.
Rows indexerQueries(const Context& ctx, const IndexerWeights& w, std::span<const double> cQ,
                    std::size_t p, std::span<const double> freqs) {
    const ModelConfig& c = ctx.config;
    const auto ci = std::size_t(c.indexHeadDim), r = std::size_t(c.ropeHeadDim);
    const Vec all = linear(w.wqB, cQ, ctx.release);
    Rows q;
    for (std::size_t h = 0; h < std::size_t(c.indexNHeads); ++h) {
        Vec qh(all.begin() + std::ptrdiff_t(h * ci), all.begin() + std::ptrdiff_t((h + 1) * ci));
        applyRope(std::span(qh).last(r), freqs, double(p), false);
        hadamard(qh);
        if (ctx.release) fp4Simulate(qh, 32);
        q.push_back(std::move(qh));
    }
    return q;
}

double dot(std::span<const double> a, std::span<const double> b) {
    return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

}  // namespace

std::vector<std::vector<int>> indexerSelect(const Context& ctx, const IndexerWeights& w,
                                            const Rows& xs, const Rows& cQ,
                                            std::span<const double> freqs) {
    const ModelConfig& c = ctx.config;
    const Rows keys = compressEntries(ctx, w.compressor, xs, 4, freqs, CompressedKind::IndexerKey);
    const double weightScale = 1.0 / std::sqrt(double(c.indexHeadDim) * double(c.indexNHeads));
    std::vector<std::vector<int>> selected(xs.size());
    for (std::size_t p = 0; p < xs.size(); ++p) {
        const std::size_t visible = (p + 1) / 4;
        if (visible == 0) continue;
        const Rows q = indexerQueries(ctx, w, cQ[p], p, freqs);
        Vec hw = matVec(w.weightsProj, xs[p], 0, w.weightsProj.rows);  // [n_I]
        for (double& v : hw) v *= weightScale;
        Vec score(visible, 0.0);
        for (std::size_t s = 0; s < visible; ++s)
            for (std::size_t h = 0; h < q.size(); ++h)
                score[s] += hw[h] * std::max(0.0, dot(q[h], keys[s]));
        std::vector<int> order(visible);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
                         [&](int a, int b) { return score[std::size_t(a)] > score[std::size_t(b)]; });
        order.resize(std::min(visible, std::size_t(c.indexTopk)));
        std::sort(order.begin(), order.end());
        selected[p] = std::move(order);
    }
    return selected;
}

}  // namespace atelier::engine::reference
