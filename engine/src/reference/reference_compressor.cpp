// KV compression (spec §5.1), whole sequence: every complete block of `ratio` tokens becomes one
// entry. HCA (ratio 128): a per-channel softmax pooling over the block's own tokens. CSA
// (ratio 4, overlap): over the 4 tokens of block i−1 with their first-c ("b") channels and the 4
// tokens of block i with their last-c ("a") channels; for i = 0 the previous rows are −∞ / 0.

#include <cmath>
#include <limits>

#include "reference/reference_layers.h"

namespace atelier::engine::reference {
namespace {

struct TokenRows {
    Rows k;  // [T'][κ·c] wkv·x_p
    Rows z;  // [T'][κ·c] wgate·x_p + ape[p mod ratio]
};

TokenRows projectTokens(const CompressorWeights& w, const Rows& xs, std::size_t tokens,
                        int ratio) {
    TokenRows t;
    for (std::size_t p = 0; p < tokens; ++p) {
        t.k.push_back(matVec(w.wkv, xs[p], 0, w.wkv.rows));
        Vec z = matVec(w.wgate, xs[p], 0, w.wgate.rows);
        const double* ape = w.ape.row(std::int64_t(p % std::size_t(ratio)));
        for (std::size_t ch = 0; ch < z.size(); ++ch) z[ch] += ape[ch];
        t.z.push_back(std::move(z));
    }
    return t;
}

Vec slice(const Vec& v, std::size_t begin, std::size_t n) {
    return Vec(v.begin() + std::ptrdiff_t(begin), v.begin() + std::ptrdiff_t(begin + n));
}

// The pooled (pre-norm) entry i: [c].
Vec poolBlock(const TokenRows& t, std::size_t i, int ratio, std::size_t c) {
    const auto R = std::size_t(ratio);
    Rows values, scores;
    if (ratio == 4) {
        for (std::size_t r = 0; r < R; ++r) {  // block i−1, "b" channels [0, c)
            if (i == 0) {
                values.emplace_back(c, 0.0);
                scores.emplace_back(c, -std::numeric_limits<double>::infinity());
            } else {
                values.push_back(slice(t.k[R * (i - 1) + r], 0, c));
                scores.push_back(slice(t.z[R * (i - 1) + r], 0, c));
            }
        }
    }
    const std::size_t own = ratio == 4 ? c : 0;  // block i: "a" channels [c, 2c) with overlap
    for (std::size_t r = 0; r < R; ++r) {
        values.push_back(slice(t.k[R * i + r], own, c));
        scores.push_back(slice(t.z[R * i + r], own, c));
    }
    return poolPerChannel(values, scores);
}

}  // namespace

Vec poolPerChannel(const Rows& values, const Rows& scores) {
    const std::size_t channels = values.at(0).size();
    Vec out(channels, 0.0);
    for (std::size_t ch = 0; ch < channels; ++ch) {
        double mx = -std::numeric_limits<double>::infinity();
        for (const auto& s : scores) mx = std::max(mx, s[ch]);
        double den = 0.0, num = 0.0;
        for (std::size_t r = 0; r < values.size(); ++r) {
            const double e = std::isinf(scores[r][ch]) ? 0.0 : std::exp(scores[r][ch] - mx);
            den += e;
            num += e * values[r][ch];
        }
        out[ch] = num / den;
    }
    return out;
}

Rows compressEntries(const Context& ctx, const CompressorWeights& w, const Rows& xs, int ratio,
                     std::span<const double> freqs, CompressedKind kind) {
    const ModelConfig& cfg = ctx.config;
    const std::size_t entries = xs.size() / std::size_t(ratio);
    const std::size_t c = w.norm.size();
    const auto r = std::size_t(cfg.ropeHeadDim);
    const TokenRows t = projectTokens(w, xs, entries * std::size_t(ratio), ratio);
    Rows out;
    for (std::size_t i = 0; i < entries; ++i) {
        Vec e = poolBlock(t, i, ratio, c);
        if (ctx.release) bf16Round(e);  // the norm reads the BF16-cast entry
        e = rmsNorm(e, w.norm, cfg.normEps);
        if (ctx.release) bf16Round(e);
        std::span<double> rope(e.data() + (c - r), r);
        applyRope(rope, freqs, double(std::size_t(ratio) * i), false);  // first token of block
        if (kind == CompressedKind::Main) {
            if (ctx.release) {
                fp8Simulate(std::span(e).first(c - r), 64);
                bf16Round(rope);
            }
        } else {
            hadamard(e);
            if (ctx.release) fp4Simulate(e, 32);
        }
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace atelier::engine::reference
