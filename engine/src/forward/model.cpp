// Model: loading and the block loop (spec §2): embedding → 4 hyper-connection streams →
// blocks (HC_pre, attn_norm, attention, HC_post; HC_pre, ffn_norm, MoE, HC_post) → HC head →
// final norm → head. A chunk of T tokens goes through each layer as a batch.

#include "atelier/engine/model.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "atelier/engine/kv_entry.h"
#include "atelier/base/log.h"
#include "forward/expert_cache.h"
#include "forward/forward_internal.h"
#include "forward/model_weights.h"
#include "forward/thread_pool.h"

namespace atelier::engine {

struct Model::Impl {
    std::unique_ptr<WeightSource> source;
    ModelConfig cfg;
    ModelOptions options;
    std::uint64_t hash = 0;
    fwd::ModelWeights w;
    fwd::RopeTable plainRope, yarnRope;
    std::unique_ptr<fwd::ThreadPool> pool;
    std::unique_ptr<fwd::ExpertCache> experts;  // streaming only
    std::vector<KvCache> saved;             // streaming: the batch's sequences before the call
    fwd::Workspace ws;
    std::vector<fwd::HcMix> mixes;  // [T]
    std::vector<std::int32_t> batchTokens;  // [T] every item's tokens, concatenated
    std::vector<float> batchLogits;         // [rows, V]

    Result<void> check(const BatchItem& item) const;
    // `chunks`: one per sequence, rows laid out one after the other; `all` spans every row.
    void block(const std::vector<fwd::Chunk>& chunks, const fwd::Chunk& all, int layer);
    void pre(const fwd::HcParams& hc, const std::vector<float>& norm, const float* X, float* y, std::int64_t T);
    void post(const float* F, float* X, std::int64_t T);
    void embed(std::span<const std::int32_t> tokens, float* X);
    void head(std::span<const BatchItem> items, std::vector<float>& scratch);
};

Model::Model(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Model::~Model() = default;

const ModelConfig& Model::config() const { return m_impl->cfg; }
Numerics Model::numerics() const { return m_impl->options.numerics; }
KvCache Model::newSequence() const { return KvCache(m_impl->cfg, m_impl->options.numerics); }

Result<std::unique_ptr<Model>> Model::load(std::unique_ptr<WeightSource> weights,
                                           const ModelOptions& options) {
    if (!weights) return unexpected(Error::usage("Model::load: no weights"));
    if (options.backend != ComputeBackendKind::Cpu) {
        const ComputeBackend b = computeBackend(options.backend);
        if (!b.runsModels)
            return unexpected(Error::usage("Model::load: backend '" + b.name + "' cannot run a model: " +
                                           b.unavailableReason));
    }
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
    impl->pool = std::make_unique<fwd::ThreadPool>(std::max(1, options.threads), options.pinThreads);
    impl->ws.pool = impl->pool.get();
    if (options.expertCacheBytes > 0) {
        const std::uint64_t routed = fwd::ExpertCache::routedBytes(impl->w.blocks);
        if (options.expertCacheBytes < routed) {
            if (impl->source->format() == ModelFormat::Memory)
                return unexpected(Error::usage("expert streaming needs weights read from files (an HF folder or a "
                                               "GGUF file); these are held in memory"));
            auto cache = fwd::ExpertCache::create(impl->w.blocks, impl->cfg, options);
            if (!cache) return unexpected(cache.error());
            impl->experts = std::move(*cache);
            impl->ws.experts = impl->experts.get();
        } else {
            logger("engine")->info("expert streaming not needed: the budget of {:.2f} GiB holds every routed "
                                   "expert ({:.2f} GiB)",
                                   double(options.expertCacheBytes) / (1 << 30), double(routed) / (1 << 30));
        }
    }
    // The one place the forward's kernels are chosen: the CPU table of the active level (a
    // device backend hands its own table here).
    impl->ws.kernels = &kernels::cpuKernels();
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
        if (options.numerics == Numerics::Release) roundToBf16(*ws.kernels, x, d);
        for (int j = 1; j < 4; ++j) std::memcpy(x + j * d, x, std::size_t(d) * 4);
    }
}

void Model::Impl::block(const std::vector<fwd::Chunk>& chunks, const fwd::Chunk& all,
                        int layer) {
    const fwd::BlockWeights& b = w.blocks[std::size_t(layer)];
    const std::int64_t d = cfg.dim, T = all.T;
    float* X = ws.X.data();
    float* y = fwd::grow(ws.y, std::size_t(T * d));  // [T, D] sub-layer input
    float* F = fwd::grow(ws.F, std::size_t(T * d));  // [T, D] sub-layer output
    mixes.resize(std::size_t(T));
    const fwd::RopeTable& rope = cfg.compressRatio(layer) == 0 ? plainRope : yarnRope;

    pre(b.hcAttn, b.attnNorm, X, y, T);
    fwd::attention(chunks, all, layer, b.attn, rope, y, F);  // each sequence reads its own cache
    post(F, X, T);

    pre(b.hcFfn, b.ffnNorm, X, y, T);
    fwd::moe(all, b.moe, layer, y, F);
    if (ws.failure) return;
    post(F, X, T);
}

// y [T, D] ← norm(HC_pre(X)) and the rows' mixes, rows split across the pool (24 dots of 4D
// per row: a prefill chunk's rows were serial).
void Model::Impl::pre(const fwd::HcParams& hc, const std::vector<float>& norm, const float* X, float* y,
                      std::int64_t T) {
    const kernels::KernelTable& k = *ws.kernels;
    const std::int64_t d = cfg.dim;
    fwd::splitAcrossPool(ws, T, 2, [&](std::int64_t t0, std::int64_t t1) {
        for (std::int64_t t = t0; t < t1; ++t)
            fwd::hcPre(k, hc, cfg, X + t * 4 * d, mixes[std::size_t(t)], y + t * d, options.numerics);
        fwd::rmsnormRows(k, y + t0 * d, t1 - t0, d, norm.data(), cfg.normEps, options.numerics);
    });
}

// X [T, 4, D] ← HC_post(F [T, D], X); the residual streams are bf16 tensors under Release.
void Model::Impl::post(const float* F, float* X, std::int64_t T) {
    const kernels::KernelTable& k = *ws.kernels;
    const std::int64_t d = cfg.dim;
    fwd::splitAcrossPool(ws, T, 8, [&](std::int64_t t0, std::int64_t t1) {
        for (std::int64_t t = t0; t < t1; ++t)
            fwd::hcPost(k, mixes[std::size_t(t)], F + t * d, X + t * 4 * d, d);
        if (options.numerics == Numerics::Release) roundToBf16(k, X + t0 * 4 * d, (t1 - t0) * 4 * d);
    });
}

// Each item's logits rows (its last row, or all of them) from X [T, 4, D], through one head
// product over every requested row; `scratch` holds [rows, V].
void Model::Impl::head(std::span<const BatchItem> items, std::vector<float>& scratch) {
    const std::int64_t d = cfg.dim, V = cfg.vocabSize;
    std::int64_t rows = 0;
    for (const BatchItem& it : items)
        rows += it.request == LogitsRequest::All ? std::int64_t(it.tokens.size()) : 1;
    float* h = fwd::grow(ws.xn, std::size_t(rows * d));  // [rows, D]
    std::int64_t r = 0, first = 0;
    for (const BatchItem& it : items) {
        const std::int64_t n = std::int64_t(it.tokens.size());
        const std::int64_t k = it.request == LogitsRequest::All ? n : 1;
        for (std::int64_t t = first + n - k; t < first + n; ++t, ++r)
            fwd::hcHead(*ws.kernels, w.hcHead, cfg, ws.X.data() + t * 4 * d, h + r * d, options.numerics);
        first += n;
    }
    fwd::rmsnormRows(*ws.kernels, h, rows, d, w.norm.data(), cfg.normEps, options.numerics);
    float* out = fwd::grow(scratch, std::size_t(rows * V));
    fwd::matmul(w.head, h, rows, out, options.numerics, ws);
    r = 0;
    for (const BatchItem& it : items) {
        const std::int64_t k = it.request == LogitsRequest::All ? std::int64_t(it.tokens.size()) : 1;
        it.logits->assign(out + r * V, out + (r + k) * V);
        r += k;
    }
}

Result<void> Model::Impl::check(const BatchItem& item) const {
    const KvCache& seq = *item.sequence;
    const std::span<const std::int32_t> tokens = item.tokens;
    if (tokens.empty()) return unexpected(Error::usage("forward: no tokens"));
    if (!item.logits) return unexpected(Error::usage("forward: no logits buffer"));
    if (seq.numerics() != options.numerics || configHash(seq.config()) != hash)
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
    return {};
}

ExpertCacheStats Model::expertCacheStats() const {
    return m_impl->experts ? m_impl->experts->stats() : ExpertCacheStats{};
}

Result<void> Model::forward(KvCache& seq, std::span<const std::int32_t> tokens,
                            LogitsRequest request, std::vector<float>& logits) {
    const BatchItem item{&seq, tokens, request, &logits};
    return forwardBatch(std::span<const BatchItem>(&item, 1));
}

Result<void> Model::forwardBatch(std::span<const BatchItem> items) {
    Impl& I = *m_impl;
    const ModelConfig& cfg = I.cfg;
    if (items.empty()) return unexpected(Error::usage("forward: an empty batch"));
    I.batchTokens.clear();
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (!items[i].sequence) return unexpected(Error::usage("forward: no sequence"));
        ATELIER_TRY_VOID(I.check(items[i]));
        for (std::size_t j = 0; j < i; ++j)
            if (items[j].sequence == items[i].sequence)
                return unexpected(Error::usage("forward: a sequence appears twice in a batch"));
        I.batchTokens.insert(I.batchTokens.end(), items[i].tokens.begin(), items[i].tokens.end());
    }
    const std::int64_t d = cfg.dim, T = std::int64_t(I.batchTokens.size());
    fwd::grow(I.ws.X, std::size_t(T * 4 * d));  // [T, 4, D] residual streams
    I.embed(I.batchTokens, I.ws.X.data());
    std::vector<fwd::Chunk> chunks;
    chunks.reserve(items.size());
    std::int64_t row = 0;
    for (const BatchItem& it : items) {
        const std::int64_t n = std::int64_t(it.tokens.size());
        chunks.push_back(fwd::Chunk{cfg, I.options.numerics, *it.sequence, I.ws,
                                    it.sequence->length(), n, I.batchTokens.data() + row});
        row += n;
    }
    // The MoE reads only the rows and their token ids, never a cache.
    const fwd::Chunk all{cfg, I.options.numerics, *items[0].sequence, I.ws, 0, T,
                         I.batchTokens.data()};
    // A streamed expert's read can fail mid-call: then every sequence goes back to where it was.
    if (I.experts) {
        I.saved.clear();
        for (const BatchItem& it : items) I.saved.push_back(it.sequence->fork());
    }
    I.ws.failure.reset();
    for (int l = 0; l < cfg.nLayers && !I.ws.failure; ++l) I.block(chunks, all, l);
    if (I.ws.failure) {
        for (std::size_t i = 0; i < items.size(); ++i) *items[i].sequence = std::move(I.saved[i]);
        I.saved.clear();
        Error e = std::move(*I.ws.failure);
        I.ws.failure.reset();
        logger("engine")->error("forward: {}", e.message);
        return unexpected(std::move(e));
    }
    I.saved.clear();
    I.head(items, I.batchLogits);
    for (const BatchItem& it : items) it.sequence->appendTokens(it.tokens);
    return {};
}

}  // namespace atelier::engine
