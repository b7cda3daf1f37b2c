// Mixture of experts (spec §8.1–§8.2): sqrt(softplus) router scores, selection by top-k of
// score + bias (the bias only selects) or by tid2eid on hash layers, weights normalised over
// the selection and scaled; SwiGLU with the clamp; the routing weight multiplies the
// activation before W2 (whose input is FP8 under Release); plus the shared expert (weight 1).
// Tokens are grouped per expert so that each expert's weights are read once per chunk, and
// all experts' products of a step run in one thread-pool hand-off (matmulMany).

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "atelier/engine/kv_entry.h"
#include "forward/forward_internal.h"

namespace atelier::engine::fwd {
namespace {

float softplus(float v) { return v > 20.0f ? v : std::log1p(std::exp(v)); }

// Selected experts [T, k] and their weights [T, k].
void route(const Chunk& ch, const MoeWeights& w, const float* x, std::int32_t* idx, float* wt) {
    const ModelConfig& cfg = ch.cfg;
    const int E = cfg.nRoutedExperts, k = cfg.nActivatedExperts;
    float* s = grow(ch.ws.router, std::size_t(ch.T * E));  // [T, E]
    matmul(w.gate, x, ch.T, s, ch.numerics, ch.ws);
    std::vector<std::int32_t>& order = ch.ws.order;
    for (std::int64_t t = 0; t < ch.T; ++t) {
        float* st = s + t * E;
        for (int e = 0; e < E; ++e) st[e] = std::sqrt(softplus(st[e]));
        std::int32_t* it = idx + t * k;
        if (w.hash) {
            for (int j = 0; j < k; ++j) it[j] = w.tid2eid[std::size_t(ch.tokens[t] * k + j)];
        } else {
            order.resize(std::size_t(E));
            std::iota(order.begin(), order.end(), 0);
            const float* b = w.bias.data();
            std::partial_sort(order.begin(), order.begin() + k, order.end(),
                              [st, b](std::int32_t a, std::int32_t c) {
                                  const float va = st[a] + b[a], vc = st[c] + b[c];
                                  return va > vc || (va == vc && a < c);
                              });
            std::copy(order.begin(), order.begin() + k, it);
        }
        float sum = 0;
        for (int j = 0; j < k; ++j) sum += st[it[j]];
        for (int j = 0; j < k; ++j) wt[t * k + j] = st[it[j]] / sum * cfg.routeScale;
    }
}

// g[i] ← weight[i] · SwiGLU(g[i], u[i]) with the clamp, for n rows [n, F] in place.
void swiglu(const ModelConfig& cfg, float* g, const float* u, std::int64_t n, const float* weight) {
    const std::int64_t f = cfg.moeInterDim;
    const float lim = cfg.swigluLimit;
    for (std::int64_t t = 0; t < n; ++t)
        for (std::int64_t i = 0; i < f; ++i) {
            const float gv = std::min(g[t * f + i], lim);
            const float uv = std::clamp(u[t * f + i], -lim, lim);
            g[t * f + i] = weight[t] * (gv / (1.0f + std::exp(-gv))) * uv;
        }
}

// Groups the chunk's (token, slot) assignments by expert, in token order within each expert:
// expertRows [T·k] token indices, ew [T + T·k] row weights (the shared expert's T ones first),
// xs [T·k, D] the gathered inputs; ws.expertCount [E + 1] the offsets.
void groupByExpert(const Chunk& ch, const float* x, const float* wt, float* xs, float* ew) {
    const ModelConfig& cfg = ch.cfg;
    Workspace& ws = ch.ws;
    const std::int64_t d = cfg.dim, T = ch.T;
    const int k = cfg.nActivatedExperts, E = cfg.nRoutedExperts;
    ws.expertCount.assign(std::size_t(E + 1), 0);
    for (std::int64_t a = 0; a < T * k; ++a) ++ws.expertCount[std::size_t(ws.expertIdx[std::size_t(a)] + 1)];
    for (int e = 0; e < E; ++e) ws.expertCount[std::size_t(e + 1)] += ws.expertCount[std::size_t(e)];
    ws.expertRows.resize(std::size_t(T * k));
    ws.order.assign(ws.expertCount.begin(), ws.expertCount.end() - 1);  // next free slot per expert
    std::fill(ew, ew + T, 1.0f);
    for (std::int64_t t = 0; t < T; ++t)
        for (int j = 0; j < k; ++j) {
            const std::int32_t slot = ws.order[std::size_t(ws.expertIdx[std::size_t(t * k + j)])]++;
            ws.expertRows[std::size_t(slot)] = std::int32_t(t);
            ew[T + slot] = wt[t * k + j];
            std::memcpy(xs + slot * d, x + t * d, std::size_t(d) * 4);
        }
}

}  // namespace

// The shared expert and every routed expert run together: all W1 and W3 products in one
// pool run, SwiGLU, all W2 products in another, then the routed outputs are added to the
// shared one expert by expert in token order (the same sums as one expert at a time).
void moe(const Chunk& ch, const MoeWeights& w, const float* x, float* out) {
    const ModelConfig& cfg = ch.cfg;
    Workspace& ws = ch.ws;
    const std::int64_t d = cfg.dim, T = ch.T, f = cfg.moeInterDim;
    const int k = cfg.nActivatedExperts, E = cfg.nRoutedExperts;
    const std::int64_t A = T * k;  // assignments
    ws.expertIdx.resize(std::size_t(A));
    float* wt = grow(ws.expertWeight, std::size_t(A));
    route(ch, w, x, ws.expertIdx.data(), wt);

    float* xs = grow(ws.expertIn, std::size_t(A * d));             // [A, D]
    float* ys = grow(ws.expertOut, std::size_t(A * d));            // [A, D]
    float* ew = grow(ws.expertRowWeight, std::size_t(T + A));      // [T + A]
    float* g = grow(ws.expertGate, std::size_t((T + A) * f));      // [T + A, F]: shared rows first
    float* u = grow(ws.expertUp, std::size_t((T + A) * f));
    groupByExpert(ch, x, wt, xs, ew);
    const std::vector<std::int32_t>& at = ws.expertCount;

    ws.jobs.clear();
    ws.jobs.push_back({&w.shared.w1, x, T, g, f});
    ws.jobs.push_back({&w.shared.w3, x, T, u, f});
    for (int e = 0; e < E; ++e) {
        const std::int64_t o = at[std::size_t(e)], n = at[std::size_t(e + 1)] - o;
        if (n == 0) continue;
        const ExpertWeights& ex = w.experts[std::size_t(e)];
        ws.jobs.push_back({&ex.w1, xs + o * d, n, g + (T + o) * f, f});
        ws.jobs.push_back({&ex.w3, xs + o * d, n, u + (T + o) * f, f});
    }
    matmulMany(ws.jobs.data(), ws.jobs.size(), ch.numerics, ws);
    swiglu(cfg, g, u, T + A, ew);
    if (ch.numerics == Numerics::Release) roundToBf16(*ws.kernels, g, (T + A) * f);  // W2 reads bf16

    ws.jobs.clear();
    ws.jobs.push_back({&w.shared.w2, g, T, out, d});  // the shared expert writes out first
    for (int e = 0; e < E; ++e) {
        const std::int64_t o = at[std::size_t(e)], n = at[std::size_t(e + 1)] - o;
        if (n > 0) ws.jobs.push_back({&w.experts[std::size_t(e)].w2, g + (T + o) * f, n, ys + o * d, d});
    }
    matmulMany(ws.jobs.data(), ws.jobs.size(), ch.numerics, ws);
    for (std::int64_t a = 0; a < A; ++a) {  // expert by expert, token order within each
        float* row = out + std::int64_t(ws.expertRows[std::size_t(a)]) * d;
        for (std::int64_t c = 0; c < d; ++c) row[c] += ys[a * d + c];
    }
    if (ch.numerics == Numerics::Release) roundToBf16(*ws.kernels, out, T * d);
}

}  // namespace atelier::engine::fwd
