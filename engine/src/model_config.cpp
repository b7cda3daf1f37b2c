#include "atelier/engine/model_config.h"

#include <algorithm>
#include <cmath>

#include "atelier/engine/tensor_schema.h"

namespace atelier::engine {

AttentionKind ModelConfig::attentionKind(int layer) const {
    switch (compressRatio(layer)) {
    case 4: return AttentionKind::Csa;
    case 128: return AttentionKind::Hca;
    default: return AttentionKind::SlidingWindow;
    }
}

namespace {

// Upper bounds on every size and count, far above any DeepSeek V4 release (V4-Pro: hidden 7168,
// 128 heads, 384 experts, vocabulary 129280), so that a hostile config.json or GGUF header is
// refused before anything is sized from it (issue #21: 2^30 experts allocated until bad_alloc,
// 2^31 Sinkhorn iterations ran for ever).
Result<void> checkBounds(const ModelConfig& c) {
    struct Bound {
        const char* field;
        std::int64_t value, max;
    };
    const Bound bounds[] = {
        {"vocab_size", c.vocabSize, 1 << 24},
        {"hidden_size", c.dim, 1 << 16},
        {"num_attention_heads", c.nHeads, 1024},
        {"head_dim", c.headDim, 4096},
        {"q_lora_rank", c.qLoraRank, 1 << 16},
        {"o_lora_rank", c.oLoraRank, 1 << 16},
        {"o_groups", c.oGroups, 1024},
        {"sliding_window", c.windowSize, 1 << 20},
        {"index_n_heads", c.indexNHeads, 1024},
        {"index_head_dim", c.indexHeadDim, 4096},
        {"index_topk", c.indexTopk, 1 << 20},
        {"n_routed_experts", c.nRoutedExperts, 4096},
        {"num_experts_per_tok", c.nActivatedExperts, 256},
        {"n_shared_experts", c.nSharedExperts, 64},
        {"moe_intermediate_size", c.moeInterDim, 1 << 16},
        {"hc_sinkhorn_iters", c.hcSinkhornIters, 1000},
        {"num_nextn_predict_layers", c.nMtpLayers, 16},
        {"max_position_embeddings", c.maxPositionEmbeddings, std::int64_t(1) << 26},
        {"rope_scaling.original_max_position_embeddings", c.yarnOriginalSeqLen, std::int64_t(1) << 26},
    };
    for (const Bound& b : bounds)
        if (b.value > b.max)
            return unexpected(Error::badInput("model config: " + std::string(b.field) + " = " +
                                              std::to_string(b.value) + " exceeds " + std::to_string(b.max)));
    // The per-sequence window rings are sized from these three together: each alone may be
    // in bounds while their product asks for terabytes (V4-Pro: 62 × 128 × 512 floats).
    const std::int64_t ringFloats = std::int64_t(c.nLayers + c.nMtpLayers) * c.windowSize * c.headDim;
    if (ringFloats > (std::int64_t(1) << 30))
        return unexpected(Error::badInput(
            "model config: (num_hidden_layers + num_nextn_predict_layers) × sliding_window × head_dim = " +
            std::to_string(ringFloats) + " exceeds 2^30 floats of window state per sequence"));
    // Real-valued fields: finite (a GGUF header can carry NaN or infinity as well as a
    // config.json can carry 1e300), positive where they divide or are logarithms' arguments.
    struct Real {
        const char* field;
        double value;
        bool positive;
    };
    const Real reals[] = {
        {"routed_scaling_factor", c.routeScale, false},
        {"swiglu_limit", c.swigluLimit, false},
        {"hc_eps", c.hcEps, true},
        {"rms_norm_eps", c.normEps, true},
        {"rope_theta", c.ropeTheta, true},
        {"compress_rope_theta", c.compressRopeTheta, true},
        {"rope_scaling.factor", c.yarnFactor, true},
        {"rope_scaling.beta_fast", c.yarnBetaFast, false},
        {"rope_scaling.beta_slow", c.yarnBetaSlow, false},
    };
    for (const Real& r : reals) {
        if (!std::isfinite(r.value) || (r.positive ? r.value <= 0 : r.value < 0))
            return unexpected(Error::badInput("model config: " + std::string(r.field) + " = " +
                                              std::to_string(r.value) + " must be finite and " +
                                              (r.positive ? "positive" : "not negative")));
    }
    if (std::int64_t(c.nRoutedExperts) * c.nLayers > (1 << 20))
        return unexpected(Error::badInput("model config: n_routed_experts × num_hidden_layers = " +
                                          std::to_string(std::int64_t(c.nRoutedExperts) * c.nLayers) +
                                          " exceeds 2^20 expert matrices"));
    return {};
}

}  // namespace

Result<void> ModelConfig::validate() const {
    auto bad = [](std::string msg) { return unexpected(Error::badInput("model config: " + msg)); };
    if (vocabSize < 2) return bad("vocab_size must be at least 2");
    if (dim < 1 || nLayers < 1 || nHeads < 1) return bad("hidden_size, num_hidden_layers and num_attention_heads must be positive");
    if (nLayers > 512) return bad("num_hidden_layers " + std::to_string(nLayers) + " exceeds 512");
    if (nMtpLayers < 0) return bad("num_nextn_predict_layers must not be negative");
    if (maxPositionEmbeddings < 1 || yarnOriginalSeqLen < 1)
        return bad("max_position_embeddings and rope_scaling.original_max_position_embeddings must be positive");
    if (compressRatios.size() != std::size_t(nLayers + nMtpLayers))
        return bad("compress_ratios has " + std::to_string(compressRatios.size()) +
                   " entries, expected num_hidden_layers + num_nextn_predict_layers = " +
                   std::to_string(nLayers + nMtpLayers));
    for (std::size_t i = 0; i < compressRatios.size(); ++i) {
        const int r = compressRatios[i];
        if (r != 0 && r != 4 && r != 128)
            return bad("compress_ratios[" + std::to_string(i) + "] = " + std::to_string(r) +
                       "; only 0, 4 and 128 exist");
    }
    for (int m = 0; m < nMtpLayers; ++m)
        if (compressRatios[std::size_t(nLayers + m)] != 0)
            return bad("the MTP block must be sliding-window only (compress ratio 0)");
    if (headDim <= ropeHeadDim || ropeHeadDim <= 0 || ropeHeadDim % 2 != 0)
        return bad("qk_rope_head_dim must be even, positive and below head_dim");
    if ((headDim - ropeHeadDim) % 64 != 0)
        return bad("head_dim - qk_rope_head_dim must be a multiple of 64 (FP8 KV blocks)");
    if (oGroups < 1 || nHeads % oGroups != 0) return bad("o_groups must divide num_attention_heads");
    if (hcMult != 4) return bad("hc_mult must be 4");
    if (hcSinkhornIters < 1) return bad("hc_sinkhorn_iters must be at least 1");
    if (windowSize < 1) return bad("sliding_window must be positive");
    if (indexHeadDim % 64 != 0 || indexHeadDim < ropeHeadDim)
        return bad("index_head_dim must be a multiple of 64 and at least qk_rope_head_dim");
    if (indexNHeads < 1 || indexTopk < 1) return bad("index_n_heads and index_topk must be positive");
    if (nRoutedExperts < 1 || nActivatedExperts < 1 || nActivatedExperts > nRoutedExperts)
        return bad("num_experts_per_tok must be between 1 and n_routed_experts");
    if (moeInterDim < 1 || nSharedExperts < 0) return bad("moe_intermediate_size must be positive");
    if (nHashLayers < 0 || nHashLayers > nLayers) return bad("num_hash_layers out of range");
    if (qLoraRank < 1 || oLoraRank < 1) return bad("q_lora_rank and o_lora_rank must be positive");
    if (bosTokenId < 0 || bosTokenId >= vocabSize || eosTokenId < 0 || eosTokenId >= vocabSize)
        return bad("bos/eos token id outside the vocabulary");
    return checkBounds(*this);
}



namespace {

ModelConfig tinyConfig() {
    // Spec §13: every mechanism in a few MB, inside llama.cpp's constraints.
    ModelConfig c;
    c.name = "atelier-tiny";
    c.vocabSize = 1024;
    c.dim = 256;
    c.nLayers = 4;
    c.compressRatios = {0, 4, 128, 4, 0};
    c.nHeads = 4;
    c.headDim = 192;
    c.ropeHeadDim = 64;
    c.qLoraRank = 128;
    c.oGroups = 2;
    c.oLoraRank = 64;
    c.windowSize = 16;
    c.indexNHeads = 16;
    c.indexHeadDim = 128;
    c.indexTopk = 4;
    c.nRoutedExperts = 8;
    c.nActivatedExperts = 2;
    c.nSharedExperts = 1;
    c.moeInterDim = 128;
    c.nHashLayers = 1;
    c.routeScale = 1.5f;
    c.swigluLimit = 1.0f;
    c.nMtpLayers = 1;
    c.maxPositionEmbeddings = 65536;
    return c;
}

ModelConfig smallConfig() {
    // About 100M parameters: real head and window geometry, few experts.
    ModelConfig c;
    c.name = "atelier-small";
    c.vocabSize = 1024;
    c.dim = 512;
    c.nLayers = 6;
    c.compressRatios = {0, 4, 128, 4, 128, 4, 0};
    c.nHeads = 8;
    c.headDim = 512;
    c.ropeHeadDim = 64;
    c.qLoraRank = 256;
    c.oGroups = 2;
    c.oLoraRank = 256;
    c.windowSize = 128;
    c.indexNHeads = 16;
    c.indexHeadDim = 128;
    c.indexTopk = 64;
    c.nRoutedExperts = 16;
    c.nActivatedExperts = 4;
    c.nSharedExperts = 1;
    c.moeInterDim = 512;
    c.nHashLayers = 1;
    c.routeScale = 1.5f;
    c.swigluLimit = 10.0f;
    c.nMtpLayers = 1;
    c.maxPositionEmbeddings = 1048576;
    return c;
}

ModelConfig benchConfig() {
    // About 1B parameters with V4-Flash's head (512, rope 64), window (128), ratios (4/128),
    // indexer (64 heads x 128, top-512) and routing (6 of E): the geometry benchmarks need.
    ModelConfig c;
    c.name = "atelier-bench";
    c.vocabSize = 32768;
    c.dim = 1024;
    c.nLayers = 8;
    c.compressRatios = {0, 0, 4, 128, 4, 128, 4, 128, 0};
    c.nHeads = 16;
    c.headDim = 512;
    c.ropeHeadDim = 64;
    c.qLoraRank = 512;
    c.oGroups = 4;
    c.oLoraRank = 512;
    c.windowSize = 128;
    c.indexNHeads = 64;
    c.indexHeadDim = 128;
    c.indexTopk = 512;
    c.nRoutedExperts = 32;
    c.nActivatedExperts = 6;
    c.nSharedExperts = 1;
    c.moeInterDim = 1024;
    c.nHashLayers = 2;
    c.routeScale = 1.5f;
    c.swigluLimit = 10.0f;
    c.nMtpLayers = 1;
    c.maxPositionEmbeddings = 1048576;
    return c;
}

ModelConfig flashSliceConfig() {
    // DeepSeek V4-Flash at its real widths (spec §1.1: every field's default is Flash's) with
    // the first 4 of its 43 blocks; setLayerCount gives it as many as asked, in the release's
    // pattern (SWA, SWA, then CSA/HCA alternating) with its 3 hash-routed layers.
    ModelConfig c;
    c.name = "atelier-flash-slice";
    c.nLayers = 4;
    c.compressRatios = {0, 0, 4, 128, 0};
    return c;
}

}  // namespace

std::vector<std::string> presetNames() { return {"tiny", "small", "bench", "flash-slice"}; }

Result<ModelConfig> presetConfig(std::string_view name) {
    if (name == "tiny") return tinyConfig();
    if (name == "small") return smallConfig();
    if (name == "bench") return benchConfig();
    if (name == "flash-slice") return flashSliceConfig();
    return unexpected(Error::usage("unknown preset '" + std::string(name) +
                                   "' (expected tiny, small, bench or flash-slice)"));
}

Result<void> setLayerCount(ModelConfig& c, int layers) {
    if (layers < 1 || layers > 512)
        return unexpected(Error::usage("layers: " + std::to_string(layers) + " is not between 1 and 512"));
    std::vector<int> main(c.compressRatios.begin(), c.compressRatios.begin() + c.nLayers);
    const std::vector<int> mtp(c.compressRatios.begin() + c.nLayers, c.compressRatios.end());
    // Past the end the compressed layers keep alternating CSA and HCA, as every release does.
    while (int(main.size()) < layers) {
        const int last = main.empty() ? 0 : main.back();
        main.push_back(last == 4 ? 128 : 4);
    }
    main.resize(std::size_t(layers));
    main.insert(main.end(), mtp.begin(), mtp.end());
    c.compressRatios = std::move(main);
    c.nLayers = layers;
    c.nHashLayers = std::min(c.nHashLayers, layers);
    return {};
}

ModelSizes computeSizes(const ModelConfig& c) {
    ModelSizes s;
    std::int64_t routed = 0;
    for (const auto& t : expectedTensors(c)) {
        const std::int64_t n = elementCount(t.shape);
        if (t.mtp) {
            s.paramsMtp += n;
            continue;
        }
        s.paramsTotal += n;
        if (t.role == TensorRole::ExpertFp4) routed += n;
        if (t.role == TensorRole::Tid2Eid) s.paramsTotal -= n;  // a lookup table, not parameters
    }
    // Active per token: everything but the routed experts and the embedding table, plus k of the
    // E routed experts in every layer and one embedding row.
    const std::int64_t embed = c.vocabSize * c.dim;
    s.paramsActive = s.paramsTotal - routed - embed + c.dim +
                     routed / c.nRoutedExperts * c.nActivatedExperts;

    // Production cache format (spec §10.2): FP8 NoPE + BF16 RoPE + one UE8M0 scale per 64 NoPE
    // dims, the scale footer padded to 8 bytes; indexer keys MXFP4 (c_I/2 + c_I/32 bytes).
    const std::int64_t nope = c.headDim - c.ropeHeadDim;
    const std::int64_t scaleBytes = (nope / 64 + 7) / 8 * 8;
    const std::int64_t entryBytes = nope + 2 * std::int64_t(c.ropeHeadDim) + scaleBytes;
    const std::int64_t indexerKeyBytes = c.indexHeadDim / 2 + c.indexHeadDim / 32;
    double perToken = 0;
    std::int64_t state = 0;
    const int blocks = c.nLayers + c.nMtpLayers;
    for (int l = 0; l < blocks; ++l) {
        state += std::int64_t(c.windowSize) * entryBytes;
        const int ratio = c.compressRatio(l);
        if (ratio == 4) {
            if (l < c.nLayers) perToken += double(entryBytes + indexerKeyBytes) / 4.0;
            state += 2 * 8 * 2 * std::int64_t(c.headDim) * 4;       // K and Z rows, fp32
            state += 2 * 8 * 2 * std::int64_t(c.indexHeadDim) * 4;  // indexer compressor
        } else if (ratio == 128) {
            if (l < c.nLayers) perToken += double(entryBytes) / 128.0;
            state += 2 * 128 * std::int64_t(c.headDim) * 4;
        }
    }
    s.kvBytesPerToken = perToken;
    s.stateBytesPerSequence = state;
    return s;
}

}  // namespace atelier::engine
