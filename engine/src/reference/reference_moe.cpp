// The MoE sub-layer (spec §8.1–§8.2): sqrt(softplus) router scores, hash routing through
// tid2eid on the first nHashLayers layers and top-k of score + bias elsewhere, normalised and
// scaled weights, clamped SwiGLU experts with the routing weight applied before W2, plus the
// shared expert with weight 1.

#include <algorithm>
#include <cmath>
#include <numeric>

#include "reference/reference_layers.h"

namespace atelier::engine::reference {
namespace {

double softplus(double v) { return std::max(v, 0.0) + std::log1p(std::exp(-std::abs(v))); }

// Expert indices: tid2eid[token] on hash layers, else the k largest s + bias (ties: lower index).
std::vector<std::size_t> routeExperts(const ModelConfig& c, int layer, const MoeWeights& w,
                                      const Vec& s, std::int32_t token) {
    const auto k = std::size_t(c.nActivatedExperts);
    std::vector<std::size_t> idx;
    if (c.isHashLayer(layer)) {
        for (std::size_t j = 0; j < k; ++j)
            idx.push_back(std::size_t(w.tid2eid[std::size_t(token) * k + j]));
        return idx;
    }
    idx.resize(s.size());
    std::iota(idx.begin(), idx.end(), std::size_t(0));
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
        return s[a] + w.bias[a] > s[b] + w.bias[b];
    });
    idx.resize(k);
    return idx;
}

// W2·(weight·(silu(min(W1x, L)) ⊙ clamp(W3x, ±L))): [d].
Vec expertForward(const Context& ctx, const ExpertWeights& e, std::span<const double> x,
                  double weight) {
    const double limit = ctx.config.swigluLimit;
    Vec g = linear(e.w1, x, ctx.release);
    const Vec u = linear(e.w3, x, ctx.release);
    Vec a(g.size());
    for (std::size_t i = 0; i < g.size(); ++i) {
        double gi = g[i], ui = u[i];
        if (limit > 0) {
            gi = std::min(gi, limit);
            ui = std::clamp(ui, -limit, limit);
        }
        a[i] = weight * (gi * sigmoid(gi)) * ui;
    }
    if (ctx.release) bf16Round(a);  // W2's input is a bf16 tensor before its FP8 quantization
    return linear(e.w2, a, ctx.release);
}

}  // namespace

Vec moeForward(const Context& ctx, int layer, const MoeWeights& w, std::span<const double> x,
               std::int32_t token) {
    const ModelConfig& c = ctx.config;
    Vec s = matVec(w.gate, x, 0, w.gate.rows);  // [E], fp32 island
    for (double& v : s) v = std::sqrt(softplus(v));
    const auto idx = routeExperts(c, layer, w, s, token);
    double sum = 0.0;
    for (std::size_t e : idx) sum += s[e];

    Vec y = expertForward(ctx, w.shared, x, 1.0);
    for (std::size_t e : idx) {
        const Vec ye = expertForward(ctx, w.experts[e], x, s[e] / sum * c.routeScale);
        for (std::size_t i = 0; i < y.size(); ++i) y[i] += ye[i];
    }
    if (ctx.release) bf16Round(y);
    return y;
}

}  // namespace atelier::engine::reference
