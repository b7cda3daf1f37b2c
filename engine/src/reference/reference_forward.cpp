// The reference forward (spec §2): embeddings → 4 hyper-connection streams → blocks of
// (mHC-wrapped attention, mHC-wrapped MoE) → HC head → final norm → head. Whole prompt from
// position 0 (§7.1), double precision; see reference_math.h for the Release simulations.

#include "atelier/engine/reference_forward.h"

#include <string>

#include "reference/reference_layers.h"

namespace atelier::engine {
namespace {

using namespace reference;

Result<void> checkInputs(const ModelConfig& c, std::span<const std::int32_t> tokens) {
    if (auto v = c.validate(); !v) return unexpected(v.error());
    const int ci = c.indexHeadDim;
    if ((ci & (ci - 1)) != 0)
        return unexpected(Error::badInput("reference forward: index_head_dim " +
                                          std::to_string(ci) +
                                          " is not a power of two (Hadamard transform)"));
    if (tokens.empty()) return unexpected(Error::badInput("reference forward: empty prompt"));
    for (std::size_t i = 0; i < tokens.size(); ++i)
        if (tokens[i] < 0 || tokens[i] >= c.vocabSize)
            return unexpected(Error::badInput(
                "reference forward: token " + std::to_string(tokens[i]) + " at position " +
                std::to_string(i) + " is outside the vocabulary of " +
                std::to_string(c.vocabSize)));
    return {};
}

Vec normed(const Context& ctx, std::span<const double> y, const Vec& weight) {
    Vec x = rmsNorm(y, weight, ctx.config.normEps);
    if (ctx.release) bf16Round(x);
    return x;
}

// One block (§2): X ← HC_post(Attention(norm(y))) then X ← HC_post(MoE(norm(y))).
// streams: [T][n_hc][d].
void blockForward(const Context& ctx, int layer, const LayerWeights& w,
                  std::span<const std::int32_t> tokens, std::vector<Rows>& streams) {
    const std::size_t T = streams.size();
    std::vector<HcMix> mixes;
    Rows xs;  // [T][d] attention-normed sub-layer inputs
    for (std::size_t t = 0; t < T; ++t) {
        mixes.push_back(hcPre(ctx, streams[t], w.hcAttn));
        xs.push_back(normed(ctx, mixes.back().y, w.attnNorm));
    }
    const Rows attn = attentionLayer(ctx, layer, w.attn, xs);
    for (std::size_t t = 0; t < T; ++t) streams[t] = hcPost(ctx, attn[t], streams[t], mixes[t]);

    for (std::size_t t = 0; t < T; ++t) {
        const HcMix mix = hcPre(ctx, streams[t], w.hcFfn);
        const Vec f = moeForward(ctx, layer, w.moe, normed(ctx, mix.y, w.ffnNorm), tokens[t]);
        streams[t] = hcPost(ctx, f, streams[t], mix);
    }
}

}  // namespace

Result<std::vector<std::vector<float>>> referenceForward(const WeightSource& weights,
                                                         std::span<const std::int32_t> tokens,
                                                         const ReferenceOptions& options) {
    const ModelConfig& c = weights.config();
    if (auto ok = checkInputs(c, tokens); !ok) return unexpected(ok.error());
    auto loaded = loadWeights(weights);
    if (!loaded) return unexpected(loaded.error());
    const ModelWeights& m = *loaded;
    const Context ctx{c, options.numerics == Numerics::Release};

    std::vector<Rows> streams;  // [T][n_hc][d], every stream starts as the embedding
    for (std::int32_t tok : tokens) {
        const double* row = m.embed.row(tok);
        Vec e(row, row + c.dim);
        if (ctx.release) bf16Round(e);
        streams.emplace_back(std::size_t(c.hcMult), e);
    }
    for (int l = 0; l < c.nLayers; ++l)
        blockForward(ctx, l, m.layers[std::size_t(l)], tokens, streams);

    std::vector<std::vector<float>> logits;
    for (const Rows& x : streams) {
        const Vec h = normed(ctx, hcHead(ctx, x, m.hcHead), m.norm);
        const Vec v = matVec(m.head, h, 0, m.head.rows);  // [V], fp32 logits
        logits.emplace_back(v.begin(), v.end());
    }
    return logits;
}

}  // namespace atelier::engine
