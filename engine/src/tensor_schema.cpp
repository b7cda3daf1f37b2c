#include "atelier/engine/tensor_schema.h"

#include <string>

namespace atelier::engine {
namespace {

using Shape = std::vector<std::int64_t>;

struct SchemaBuilder {
    const ModelConfig& c;
    std::vector<TensorSpec> out;

    void add(std::string name, Shape shape, TensorRole role, int layer = -1, bool mtp = false,
             int expert = -1) {
        out.push_back(TensorSpec{std::move(name), std::move(shape), role, layer, mtp, expert});
    }

    // One transformer block (spec §3–§8) under `prefix` ("layers.N." or "mtp.0.").
    void block(const std::string& p, int layer, bool mtp) {
        const std::int64_t d = c.dim;
        const std::int64_t hcDim = std::int64_t(c.hcMult) * d;
        const std::int64_t mixes = std::int64_t(2 + c.hcMult) * c.hcMult;
        const int ratio = c.compressRatio(layer);
        for (const char* sub : {"attn", "ffn"}) {
            add(p + "hc_" + sub + "_fn", {mixes, hcDim}, TensorRole::HcFn, layer, mtp);
            add(p + "hc_" + sub + "_base", {mixes}, TensorRole::HcBase, layer, mtp);
            add(p + "hc_" + sub + "_scale", {3}, TensorRole::HcScale, layer, mtp);
        }
        add(p + "attn_norm.weight", {d}, TensorRole::Norm, layer, mtp);
        add(p + "ffn_norm.weight", {d}, TensorRole::Norm, layer, mtp);

        const std::string a = p + "attn.";
        const std::int64_t hc = std::int64_t(c.nHeads) * c.headDim;
        add(a + "wq_a.weight", {c.qLoraRank, d}, TensorRole::LinearFp8, layer, mtp);
        add(a + "q_norm.weight", {c.qLoraRank}, TensorRole::Norm, layer, mtp);
        add(a + "wq_b.weight", {hc, c.qLoraRank}, TensorRole::LinearFp8, layer, mtp);
        add(a + "wkv.weight", {c.headDim, d}, TensorRole::LinearFp8, layer, mtp);
        add(a + "kv_norm.weight", {c.headDim}, TensorRole::Norm, layer, mtp);
        add(a + "wo_a.weight", {std::int64_t(c.oGroups) * c.oLoraRank, hc / c.oGroups},
            TensorRole::LinearFp8, layer, mtp);
        add(a + "wo_b.weight", {d, std::int64_t(c.oGroups) * c.oLoraRank}, TensorRole::LinearFp8,
            layer, mtp);
        add(a + "attn_sink", {c.nHeads}, TensorRole::Sink, layer, mtp);

        if (ratio != 0) {
            const std::int64_t kappa = ratio == 4 ? 2 : 1;
            const std::string cp = a + "compressor.";
            add(cp + "wkv.weight", {kappa * c.headDim, d}, TensorRole::LinearBf16, layer, mtp);
            add(cp + "wgate.weight", {kappa * c.headDim, d}, TensorRole::LinearBf16, layer, mtp);
            add(cp + "ape", {ratio, kappa * c.headDim}, TensorRole::Ape, layer, mtp);
            add(cp + "norm.weight", {c.headDim}, TensorRole::Norm, layer, mtp);
        }
        if (ratio == 4) {
            const std::string ix = a + "indexer.";
            const std::int64_t ci = c.indexHeadDim;
            add(ix + "wq_b.weight", {std::int64_t(c.indexNHeads) * ci, c.qLoraRank},
                TensorRole::LinearFp8, layer, mtp);
            add(ix + "weights_proj.weight", {c.indexNHeads, d}, TensorRole::LinearBf16, layer, mtp);
            add(ix + "compressor.wkv.weight", {2 * ci, d}, TensorRole::LinearBf16, layer, mtp);
            add(ix + "compressor.wgate.weight", {2 * ci, d}, TensorRole::LinearBf16, layer, mtp);
            add(ix + "compressor.ape", {4, 2 * ci}, TensorRole::Ape, layer, mtp);
            add(ix + "compressor.norm.weight", {ci}, TensorRole::Norm, layer, mtp);
        }

        const std::string f = p + "ffn.";
        add(f + "gate.weight", {c.nRoutedExperts, d}, TensorRole::LinearBf16, layer, mtp);
        if (!mtp && c.isHashLayer(layer)) {
            add(f + "gate.tid2eid", {c.vocabSize, c.nActivatedExperts}, TensorRole::Tid2Eid, layer,
                mtp);
        } else {
            add(f + "gate.bias", {c.nRoutedExperts}, TensorRole::GateBias, layer, mtp);
        }
        for (int e = 0; e < c.nRoutedExperts; ++e) {
            const std::string ep = f + "experts." + std::to_string(e) + ".";
            add(ep + "w1.weight", {c.moeInterDim, d}, TensorRole::ExpertFp4, layer, mtp, e);
            add(ep + "w2.weight", {d, c.moeInterDim}, TensorRole::ExpertFp4, layer, mtp, e);
            add(ep + "w3.weight", {c.moeInterDim, d}, TensorRole::ExpertFp4, layer, mtp, e);
        }
        const std::int64_t shared = std::int64_t(c.moeInterDim) * c.nSharedExperts;
        add(f + "shared_experts.w1.weight", {shared, d}, TensorRole::LinearFp8, layer, mtp);
        add(f + "shared_experts.w2.weight", {d, shared}, TensorRole::LinearFp8, layer, mtp);
        add(f + "shared_experts.w3.weight", {shared, d}, TensorRole::LinearFp8, layer, mtp);
    }
};

}  // namespace

std::int64_t elementCount(const std::vector<std::int64_t>& shape) {
    std::int64_t n = 1;
    for (auto s : shape) n *= s;
    return n;
}

std::vector<TensorSpec> expectedTensors(const ModelConfig& c) {
    SchemaBuilder b{c, {}};
    const std::int64_t d = c.dim;
    b.add("embed.weight", {c.vocabSize, d}, TensorRole::Embedding);
    b.add("head.weight", {c.vocabSize, d}, TensorRole::Head);
    b.add("norm.weight", {d}, TensorRole::Norm);
    b.add("hc_head_fn", {c.hcMult, std::int64_t(c.hcMult) * d}, TensorRole::HcFn);
    b.add("hc_head_base", {c.hcMult}, TensorRole::HcBase);
    b.add("hc_head_scale", {1}, TensorRole::HcScale);
    for (int l = 0; l < c.nLayers; ++l) b.block("layers." + std::to_string(l) + ".", l, false);
    for (int m = 0; m < c.nMtpLayers; ++m) {
        const std::string p = "mtp." + std::to_string(m) + ".";
        const int layer = c.nLayers + m;
        b.block(p, layer, true);
        b.add(p + "e_proj.weight", {d, d}, TensorRole::LinearFp8, layer, true);
        b.add(p + "h_proj.weight", {d, d}, TensorRole::LinearFp8, layer, true);
        b.add(p + "enorm.weight", {d}, TensorRole::Norm, layer, true);
        b.add(p + "hnorm.weight", {d}, TensorRole::Norm, layer, true);
        b.add(p + "norm.weight", {d}, TensorRole::Norm, layer, true);
        b.add(p + "hc_head_fn", {c.hcMult, std::int64_t(c.hcMult) * d}, TensorRole::HcFn, layer,
              true);
        b.add(p + "hc_head_base", {c.hcMult}, TensorRole::HcBase, layer, true);
        b.add(p + "hc_head_scale", {1}, TensorRole::HcScale, layer, true);
    }
    return std::move(b.out);
}

DType storedDType(TensorRole role, WeightScheme scheme) {
    switch (role) {
    case TensorRole::HcFn:
    case TensorRole::HcBase:
    case TensorRole::HcScale:
    case TensorRole::Sink:
    case TensorRole::Ape:
    case TensorRole::GateBias: return DType::F32;
    case TensorRole::Tid2Eid: return DType::I64;
    case TensorRole::Embedding:
    case TensorRole::Head:
    case TensorRole::Norm:
    case TensorRole::LinearBf16: return scheme == WeightScheme::F32 ? DType::F32 : DType::BF16;
    case TensorRole::LinearFp8:
        return scheme == WeightScheme::F32    ? DType::F32
               : scheme == WeightScheme::BF16 ? DType::BF16
                                              : DType::F8_E4M3;
    case TensorRole::ExpertFp4:
        return scheme == WeightScheme::F32    ? DType::F32
               : scheme == WeightScheme::BF16 ? DType::BF16
                                              : DType::E2M1x2;
    }
    return DType::F32;
}

bool hasScaleCompanion(TensorRole role, WeightScheme scheme) {
    return scheme == WeightScheme::FP8 &&
           (role == TensorRole::LinearFp8 || role == TensorRole::ExpertFp4);
}

std::vector<std::int64_t> scaleShape(const TensorSpec& spec) {
    const std::int64_t out = spec.shape.at(0), in = spec.shape.at(1);
    if (spec.role == TensorRole::ExpertFp4) return {out, in / 32};
    return {(out + 127) / 128, (in + 127) / 128};
}

std::vector<std::int64_t> storedShape(const TensorSpec& spec, WeightScheme scheme) {
    if (spec.role == TensorRole::ExpertFp4 && scheme == WeightScheme::FP8)
        return {spec.shape.at(0), spec.shape.at(1) / 2};
    return spec.shape;
}

}  // namespace atelier::engine
