// Mixture of experts (spec §8.1–§8.2): sqrt(softplus) router scores, selection by top-k of
// score + bias (the bias only selects) or by tid2eid on hash layers, weights normalised over
// the selection and scaled; SwiGLU with the clamp; the routing weight multiplies the
// activation before W2 (whose input is FP8 under Release); plus the shared expert (weight 1).
// Tokens are grouped per expert so that each expert's weights are read once per chunk.

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

// out[rows[i]] += weight[i] · W2 · SwiGLU(x[rows[i]]) for one expert over n gathered tokens.
void runExpert(const Chunk& ch, const ExpertWeights& e, const float* xs, std::int64_t n,
               const float* weight, float* ys) {
    const ModelConfig& cfg = ch.cfg;
    const std::int64_t f = cfg.moeInterDim;
    float* g = grow(ch.ws.expertGate, std::size_t(n * f));  // [n, F]
    float* u = grow(ch.ws.expertUp, std::size_t(n * f));    // [n, F]
    matmul(e.w1, xs, n, g, ch.numerics, ch.ws);
    matmul(e.w3, xs, n, u, ch.numerics, ch.ws);
    const float lim = cfg.swigluLimit;
    for (std::int64_t t = 0; t < n; ++t)
        for (std::int64_t i = 0; i < f; ++i) {
            const float gv = std::min(g[t * f + i], lim);
            const float uv = std::clamp(u[t * f + i], -lim, lim);
            g[t * f + i] = weight[t] * (gv / (1.0f + std::exp(-gv))) * uv;
        }
    if (ch.numerics == Numerics::Release) roundToBf16(g, n * f);  // W2's input is a bf16 tensor
    matmul(e.w2, g, n, ys, ch.numerics, ch.ws);
}

}  // namespace

void moe(const Chunk& ch, const MoeWeights& w, const float* x, float* out) {
    const ModelConfig& cfg = ch.cfg;
    Workspace& ws = ch.ws;
    const std::int64_t d = cfg.dim, T = ch.T;
    const int k = cfg.nActivatedExperts;
    ws.expertIdx.resize(std::size_t(T * k));
    float* wt = grow(ws.expertWeight, std::size_t(T * k));
    route(ch, w, x, ws.expertIdx.data(), wt);

    float* xs = grow(ws.expertIn, std::size_t(T * d));    // gathered tokens [n, D]
    float* ys = grow(ws.expertOut, std::size_t(T * d));   // their outputs [n, D]
    float* ew = grow(ws.expertRowWeight, std::size_t(T));
    std::fill(ew, ew + T, 1.0f);
    runExpert(ch, w.shared, x, T, ew, out);  // the shared expert writes out first
    for (int e = 0; e < cfg.nRoutedExperts; ++e) {
        ws.expertRows.clear();
        for (std::int64_t t = 0; t < T; ++t)
            for (int j = 0; j < k; ++j)
                if (ws.expertIdx[std::size_t(t * k + j)] == e) {
                    std::memcpy(xs + std::int64_t(ws.expertRows.size()) * d, x + t * d,
                                std::size_t(d) * 4);
                    ew[ws.expertRows.size()] = wt[t * k + j];
                    ws.expertRows.push_back(std::int32_t(t));
                }
        const std::int64_t n = std::int64_t(ws.expertRows.size());
        if (n == 0) continue;
        runExpert(ch, w.experts[std::size_t(e)], xs, n, ew, ys);
        for (std::int64_t i = 0; i < n; ++i) {
            float* o = out + std::int64_t(ws.expertRows[std::size_t(i)]) * d;
            for (std::int64_t c = 0; c < d; ++c) o[c] += ys[i * d + c];
        }
    }
    if (ch.numerics == Numerics::Release) roundToBf16(out, T * d);
}

}  // namespace atelier::engine::fwd
