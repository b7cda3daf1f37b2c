// Model: loading and the block loop (spec §2): embedding → 4 hyper-connection streams →
// blocks (HC_pre, attn_norm, attention, HC_post; HC_pre, ffn_norm, MoE, HC_post) → HC head →
// final norm → head. A chunk of T tokens goes through each layer as a batch.

#include "atelier/engine/model.h"

#include <cstring>
#include <string>

#include "atelier/engine/kv_entry.h"
#include "atelier/engine/log.h"
#include "forward/forward_internal.h"
#include "forward/model_weights.h"

namespace atelier::engine {

struct Model::Impl {
    std::unique_ptr<WeightSource> source;
    ModelConfig cfg;
    ModelOptions options;
    std::uint64_t hash = 0;
    fwd::ModelWeights w;
    fwd::RopeTable plainRope, yarnRope;
    fwd::Workspace ws;
    std::vector<fwd::HcMix> mixes;  // [T]

    void block(const fwd::Chunk& ch, int layer);
    void post(const float* F, float* X, std::int64_t T);
    void embed(std::span<const std::int32_t> tokens, float* X);
    void head(const float* X, std::int64_t rows, std::vector<float>& logits);
};

Model::Model(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Model::~Model() = default;

const ModelConfig& Model::config() const { return m_impl->cfg; }
Numerics Model::numerics() const { return m_impl->options.numerics; }
KvCache Model::newSequence() const { return KvCache(m_impl->cfg, m_impl->options.numerics); }

Result<std::unique_ptr<Model>> Model::load(std::unique_ptr<WeightSource> weights,
                                           const ModelOptions& options) {
    if (!weights) return unexpected(Error::usage("Model::load: no weights"));
    auto impl = std::make_unique<Impl>();
    impl->cfg = weights->config();
    ATELIER_TRY_VOID(impl->cfg.validate());
    const int ci = impl->cfg.indexHeadDim;
    if (impl->cfg.ropeHeadDim > 128 || (ci & (ci - 1)) != 0)
        return unexpected(Error::badInput(
            "model config: the forward pass needs qk_rope_head_dim <= 128 and a power-of-two "
            "index_head_dim (Hadamard transform)"));
    auto bound = fwd::bindWeights(*weights);
    if (!bound) return unexpected(bound.error());
    impl->w = std::move(*bound);
    impl->source = std::move(weights);
    impl->options = options;
    impl->hash = configHash(impl->cfg);
    impl->plainRope = fwd::makeRopeTable(impl->cfg, false);
    impl->yarnRope = fwd::makeRopeTable(impl->cfg, true);
    logger("engine")->info("model loaded from {} ({} layers, numerics {})",
                           impl->source->origin(), impl->cfg.nLayers,
                           numericsName(options.numerics));
    return std::unique_ptr<Model>(new Model(std::move(impl)));
}

void Model::Impl::embed(std::span<const std::int32_t> tokens, float* X) {
    const std::int64_t d = cfg.dim;
    for (std::size_t t = 0; t < tokens.size(); ++t) {
        float* x = X + std::int64_t(t) * 4 * d;
        decodeRow(w.embed, tokens[t], x);
        if (options.numerics == Numerics::Release) roundToBf16(x, d);
        for (int j = 1; j < 4; ++j) std::memcpy(x + j * d, x, std::size_t(d) * 4);
    }
}

void Model::Impl::block(const fwd::Chunk& ch, int layer) {
    const fwd::BlockWeights& b = w.blocks[std::size_t(layer)];
    const std::int64_t d = cfg.dim, T = ch.T;
    float* X = ws.X.data();
    float* y = fwd::grow(ws.y, std::size_t(T * d));  // [T, D] sub-layer input
    float* F = fwd::grow(ws.F, std::size_t(T * d));  // [T, D] sub-layer output
    mixes.resize(std::size_t(T));
    const fwd::RopeTable& rope = cfg.compressRatio(layer) == 0 ? plainRope : yarnRope;

    for (std::int64_t t = 0; t < T; ++t)
        fwd::hcPre(b.hcAttn, cfg, X + t * 4 * d, mixes[std::size_t(t)], y + t * d, ch.numerics);
    fwd::rmsnormRows(y, T, d, b.attnNorm.data(), cfg.normEps, ch.numerics);
    fwd::attention(ch, layer, b.attn, rope, y, F);
    post(F, X, T);

    for (std::int64_t t = 0; t < T; ++t)
        fwd::hcPre(b.hcFfn, cfg, X + t * 4 * d, mixes[std::size_t(t)], y + t * d, ch.numerics);
    fwd::rmsnormRows(y, T, d, b.ffnNorm.data(), cfg.normEps, ch.numerics);
    fwd::moe(ch, b.moe, y, F);
    post(F, X, T);
}

// X [T, 4, D] ← HC_post(F [T, D], X); the residual streams are bf16 tensors under Release.
void Model::Impl::post(const float* F, float* X, std::int64_t T) {
    const std::int64_t d = cfg.dim;
    for (std::int64_t t = 0; t < T; ++t) fwd::hcPost(mixes[std::size_t(t)], F + t * d, X + t * 4 * d, d);
    if (options.numerics == Numerics::Release) roundToBf16(X, T * 4 * d);
}

// logits [rows, V] from the last `rows` positions of X [T, 4, D] (X points at the first).
void Model::Impl::head(const float* X, std::int64_t rows, std::vector<float>& logits) {
    const std::int64_t d = cfg.dim;
    float* h = fwd::grow(ws.xn, std::size_t(rows * d));  // [rows, D]
    for (std::int64_t t = 0; t < rows; ++t)
        fwd::hcHead(w.hcHead, cfg, X + t * 4 * d, h + t * d, options.numerics);
    fwd::rmsnormRows(h, rows, d, w.norm.data(), cfg.normEps, options.numerics);
    logits.resize(std::size_t(rows * cfg.vocabSize));
    fwd::matmul(w.head, h, rows, logits.data(), options.numerics, ws);
}

Result<void> Model::forward(KvCache& seq, std::span<const std::int32_t> tokens,
                            LogitsRequest request, std::vector<float>& logits) {
    Impl& I = *m_impl;
    const ModelConfig& cfg = I.cfg;
    if (tokens.empty()) return unexpected(Error::usage("forward: no tokens"));
    if (seq.numerics() != I.options.numerics || configHash(seq.config()) != I.hash)
        return unexpected(Error::usage("forward: the sequence belongs to another model or numerics"));
    for (std::size_t i = 0; i < tokens.size(); ++i)
        if (tokens[i] < 0 || tokens[i] >= cfg.vocabSize)
            return unexpected(Error::badInput("forward: token id " + std::to_string(tokens[i]) +
                                              " at index " + std::to_string(i) +
                                              " is outside the vocabulary [0, " +
                                              std::to_string(cfg.vocabSize) + ")"));
    const std::int64_t T = std::int64_t(tokens.size());
    if (seq.length() + T > cfg.maxPositionEmbeddings)
        return unexpected(Error{ErrorCode::Overflow, "forward: " + std::to_string(seq.length() + T) +
                                                         " tokens exceed the context of " +
                                                         std::to_string(cfg.maxPositionEmbeddings)});
    const std::int64_t d = cfg.dim;
    fwd::grow(I.ws.X, std::size_t(T * 4 * d));  // [T, 4, D] residual streams
    I.embed(tokens, I.ws.X.data());
    const fwd::Chunk ch{cfg, I.options.numerics, seq, I.ws, seq.length(), T, tokens.data()};
    for (int l = 0; l < cfg.nLayers; ++l) I.block(ch, l);
    const std::int64_t rows = request == LogitsRequest::All ? T : 1;
    I.head(I.ws.X.data() + (T - rows) * 4 * d, rows, logits);
    seq.appendTokens(tokens);
    return {};
}

}  // namespace atelier::engine
