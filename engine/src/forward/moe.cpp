// Mixture of experts (spec §8.1–§8.2): sqrt(softplus) router scores, selection by top-k of
// score + bias (the bias only selects) or by tid2eid on hash layers, weights normalised over
// the selection and scaled; SwiGLU with the clamp; the routing weight multiplies the
// activation before W2 (whose input is FP8 under Release); plus the shared expert (weight 1).
// Tokens are grouped per expert so that each expert's weights are read once per chunk, and
// all experts' products of a step run in one thread-pool hand-off (matmulMany). Streamed
// experts (expert_cache.h) come in rounds that overlap their reads with the resident ones.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "atelier/engine/kv_entry.h"
#include "forward/expert_cache.h"
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

// SwiGLU rows [r, r + n) of g/u, rounded for W2 under Release.
void activate(const Chunk& ch, float* g, const float* u, const float* ew, std::int64_t r, std::int64_t n) {
    const std::int64_t f = ch.cfg.moeInterDim;
    swiglu(ch.cfg, g + r * f, u + r * f, n, ew + r);
    if (ch.numerics == Numerics::Release) roundToBf16(*ch.ws.kernels, g + r * f, n * f);  // W2 reads bf16
}

// The routed experts' outputs (ys, [A, D]) added to out, expert by expert in token order
// within each (the same sums as one expert at a time).
void addRouted(const Chunk& ch, const float* ys, float* out) {
    const std::int64_t d = ch.cfg.dim, A = ch.T * ch.cfg.nActivatedExperts;
    for (std::int64_t a = 0; a < A; ++a) {
        float* row = out + std::int64_t(ch.ws.expertRows[std::size_t(a)]) * d;
        for (std::int64_t c = 0; c < d; ++c) row[c] += ys[a * d + c];
    }
    if (ch.numerics == Numerics::Release) roundToBf16(*ch.ws.kernels, out, ch.T * d);
}

// Buffers of one MoE call: xs [A, D] grouped inputs, ys [A, D] routed outputs, ew [T + A]
// row weights, g/u [T + A, F] (the shared expert's T rows first).
struct MoeBuffers {
    float *xs, *ys, *ew, *g, *u;
};

// One group of experts from start to finish: W1 and W3 of all in one pool run, SwiGLU, W2 of
// all in another; with `shared`, the shared expert too (it writes out's rows). `weights(e)`
// gives expert e's matrices. Products are independent, so any grouping gives the same bits.
template <typename Weights>
void runExperts(const Chunk& ch, const MoeWeights& w, const float* x, float* out, const MoeBuffers& b,
                bool shared, const std::vector<std::int32_t>& experts, Weights&& weights) {
    Workspace& ws = ch.ws;
    const std::int64_t d = ch.cfg.dim, T = ch.T, f = ch.cfg.moeInterDim;
    const std::vector<std::int32_t>& at = ws.expertCount;
    ws.jobs.clear();
    if (shared) {
        ws.jobs.push_back({&w.shared.w1, x, T, b.g, f});
        ws.jobs.push_back({&w.shared.w3, x, T, b.u, f});
    }
    for (std::int32_t e : experts) {
        const std::int64_t o = at[std::size_t(e)], n = at[std::size_t(e + 1)] - o;
        const ExpertWeights& ex = weights(e);
        ws.jobs.push_back({&ex.w1, b.xs + o * d, n, b.g + (T + o) * f, f});
        ws.jobs.push_back({&ex.w3, b.xs + o * d, n, b.u + (T + o) * f, f});
    }
    if (ws.jobs.empty()) return;
    matmulMany(ws.jobs.data(), ws.jobs.size(), ch.numerics, ws);
    // SwiGLU of every row these products wrote, the rows split across the pool (F exponentials
    // a row: a prefill chunk's thousands of rows were serial).
    std::vector<std::int64_t>& rows = ws.activeRows;  // [first row, count] pairs
    rows.clear();
    std::int64_t n = 0;
    if (shared) {
        rows.insert(rows.end(), {0, T});
        n += T;
    }
    for (std::int32_t e : experts) {
        const std::int64_t o = at[std::size_t(e)], c = at[std::size_t(e + 1)] - o;
        rows.insert(rows.end(), {T + o, c});
        n += c;
    }
    splitAcrossPool(ws, n, std::max<std::int64_t>(1, 4096 / f), [&](std::int64_t lo, std::int64_t hi) {
        std::int64_t first = 0;  // the index of a pair's first row among all n
        for (std::size_t i = 0; i < rows.size(); i += 2) {
            const std::int64_t b0 = std::max(lo, first), b1 = std::min(hi, first + rows[i + 1]);
            if (b0 < b1) activate(ch, b.g, b.u, b.ew, rows[i] + (b0 - first), b1 - b0);
            first += rows[i + 1];
        }
    });
    ws.jobs.clear();
    if (shared) ws.jobs.push_back({&w.shared.w2, b.g, T, out, d});  // the shared expert writes out first
    for (std::int32_t e : experts) {
        const std::int64_t o = at[std::size_t(e)], n = at[std::size_t(e + 1)] - o;
        ws.jobs.push_back({&weights(e).w2, b.g + (T + o) * f, n, b.ys + o * d, d});
    }
    matmulMany(ws.jobs.data(), ws.jobs.size(), ch.numerics, ws);
}

}  // namespace

// The shared expert and every routed expert run together: all W1 and W3 products in one
// pool run, SwiGLU, all W2 products in another, then the routed outputs are added to the
// shared one. With an expert cache, in rounds: the shared expert and the resident experts
// run while the missing ones are read, then those; a cache smaller than the step takes
// several rounds.
void moe(const Chunk& ch, const MoeWeights& w, int layer, const float* x, float* out) {
    const ModelConfig& cfg = ch.cfg;
    Workspace& ws = ch.ws;
    const std::int64_t d = cfg.dim, T = ch.T, f = cfg.moeInterDim;
    const int k = cfg.nActivatedExperts, E = cfg.nRoutedExperts;
    const std::int64_t A = T * k;  // assignments
    ws.expertIdx.resize(std::size_t(A));
    float* wt = grow(ws.expertWeight, std::size_t(A));
    route(ch, w, x, ws.expertIdx.data(), wt);

    const MoeBuffers b{grow(ws.expertIn, std::size_t(A * d)), grow(ws.expertOut, std::size_t(A * d)),
                       grow(ws.expertRowWeight, std::size_t(T + A)), grow(ws.expertGate, std::size_t((T + A) * f)),
                       grow(ws.expertUp, std::size_t((T + A) * f))};
    groupByExpert(ch, x, wt, b.xs, b.ew);
    std::vector<std::int32_t>& want = ws.expertWant;  // the experts routed to, ascending
    want.clear();
    for (int e = 0; e < E; ++e)
        if (ws.expertCount[std::size_t(e + 1)] > ws.expertCount[std::size_t(e)]) want.push_back(e);

    if (!ws.experts) {
        runExperts(ch, w, x, out, b, true, want,
                   [&w](std::int32_t e) -> const ExpertWeights& { return w.experts[std::size_t(e)]; });
        addRouted(ch, b.ys, out);
        return;
    }
    ExpertCache& cache = *ws.experts;
    auto cached = [&cache, layer](std::int32_t e) -> const ExpertWeights& { return cache.weights(layer, e); };
    ExpertCache::Round round;
    bool shared = true;
    while (shared || !want.empty()) {
        cache.begin(layer, want, round);
        runExperts(ch, w, x, out, b, shared, round.ready, cached);
        auto read = cache.wait(round);
        if (read) runExperts(ch, w, x, out, b, false, round.loading, cached);
        cache.end(layer, round);
        if (!read) {
            ws.failure = read.error();
            return;
        }
        shared = false;
    }
    addRouted(ch, b.ys, out);
}

}  // namespace atelier::engine::fwd
