// Manifold-constrained hyper-connections (spec §3) and the HC head (§2 step 4). All fp32
// islands in the release, so double throughout; only y, the new streams and the head's output
// are BF16-rounded under Release.

#include <algorithm>
#include <cmath>

#include "reference/reference_layers.h"

namespace atelier::engine::reference {
namespace {

// x̂ = vec(X), stream-major: [n_hc·d].
Vec flatten(const Rows& streams) {
    Vec x;
    for (const auto& s : streams) x.insert(x.end(), s.begin(), s.end());
    return x;
}

// μ = (fn · x̂)·ρ with ρ = 1/sqrt(mean(x̂²) + eps): an RMS norm whose weight is folded into fn.
Vec mixes(const Rows& streams, const Matrix& fn, double eps) {
    const Vec x = flatten(streams);
    double sumSq = 0.0;
    for (double v : x) sumSq += v * v;
    const double rho = 1.0 / std::sqrt(sumSq / double(x.size()) + eps);
    Vec mu = matVec(fn, x, 0, fn.rows);
    for (double& v : mu) v *= rho;
    return mu;
}

// Σ_j w_j·X[j]: [d]
Vec weightedSum(const Rows& streams, std::span<const double> w) {
    Vec y(streams[0].size(), 0.0);
    for (std::size_t j = 0; j < streams.size(); ++j)
        for (std::size_t i = 0; i < y.size(); ++i) y[i] += w[j] * streams[j][i];
    return y;
}

}  // namespace

Vec sinkhorn(std::span<const double> logits, int n, int iters, double eps) {
    const auto N = std::size_t(n);
    Vec m(N * N);
    // M = softmax over k of each row, + eps.
    for (std::size_t j = 0; j < N; ++j) {
        const auto row = logits.subspan(j * N, N);
        const double mx = *std::max_element(row.begin(), row.end());
        double sum = 0.0;
        for (std::size_t k = 0; k < N; ++k) sum += std::exp(row[k] - mx);
        for (std::size_t k = 0; k < N; ++k) m[j * N + k] = std::exp(row[k] - mx) / sum + eps;
    }
    const auto normaliseColumns = [&] {
        for (std::size_t k = 0; k < N; ++k) {
            double sum = 0.0;
            for (std::size_t j = 0; j < N; ++j) sum += m[j * N + k];
            for (std::size_t j = 0; j < N; ++j) m[j * N + k] /= sum + eps;
        }
    };
    const auto normaliseRows = [&] {
        for (std::size_t j = 0; j < N; ++j) {
            double sum = 0.0;
            for (std::size_t k = 0; k < N; ++k) sum += m[j * N + k];
            for (std::size_t k = 0; k < N; ++k) m[j * N + k] /= sum + eps;
        }
    };
    normaliseColumns();
    for (int it = 1; it < iters; ++it) {
        normaliseRows();
        normaliseColumns();
    }
    return m;
}

HcMix hcPre(const Context& ctx, const Rows& streams, const HcParams& p) {
    const ModelConfig& c = ctx.config;
    const auto n = std::size_t(c.hcMult);
    const double eps = c.hcEps;
    const Vec mu = mixes(streams, p.fn, c.normEps);
    HcMix mix;
    Vec pre(n);
    mix.post.resize(n);
    for (std::size_t j = 0; j < n; ++j) {
        pre[j] = sigmoid(mu[j] * p.scale[0] + p.base[j]) + eps;
        mix.post[j] = 2.0 * sigmoid(mu[n + j] * p.scale[1] + p.base[n + j]);
    }
    Vec logits(n * n);  // B̃[j,k] = μ[2n + n·j + k]·scale2 + base[...]
    for (std::size_t i = 0; i < n * n; ++i)
        logits[i] = mu[2 * n + i] * p.scale[2] + p.base[2 * n + i];
    mix.comb = sinkhorn(logits, c.hcMult, c.hcSinkhornIters, eps);
    mix.y = weightedSum(streams, pre);
    if (ctx.release) bf16Round(mix.y);
    return mix;
}

Rows hcPost(const Context& ctx, std::span<const double> f, const Rows& streams,
            const HcMix& mix) {
    const std::size_t n = streams.size();
    Rows out(n, Vec(f.size()));
    for (std::size_t k = 0; k < n; ++k) {
        // X'[k] = post_k·F + Σ_j comb[j,k]·X[j]: the sum runs over the first index of comb.
        for (std::size_t i = 0; i < f.size(); ++i) {
            double v = mix.post[k] * f[i];
            for (std::size_t j = 0; j < n; ++j) v += mix.comb[j * n + k] * streams[j][i];
            out[k][i] = v;
        }
        if (ctx.release) bf16Round(out[k]);
    }
    return out;
}

Vec hcHead(const Context& ctx, const Rows& streams, const HcParams& p) {
    const ModelConfig& c = ctx.config;
    const Vec a = mixes(streams, p.fn, c.normEps);
    Vec w(streams.size());
    for (std::size_t j = 0; j < w.size(); ++j)
        w[j] = sigmoid(a[j] * p.scale[0] + p.base[j]) + c.hcEps;
    Vec h = weightedSum(streams, w);
    if (ctx.release) bf16Round(h);
    return h;
}

}  // namespace atelier::engine::reference
