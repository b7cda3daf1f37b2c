// Binding a WeightSource's tensors to the forward pass's weight structs (tensor_schema.h
// names and shapes). Matrices stay in their stored format; small vectors are decoded to f32.

#include <optional>
#include <string>

#include "forward/model_weights.h"

namespace atelier::engine::fwd {
namespace {

// Binds tensors and keeps the first error, so the binding code reads as a list.
struct Binder {
    const WeightSource& src;
    std::optional<Error> error;

    Linear lin(const std::string& name, std::int64_t rows, std::int64_t cols, bool fp8Input) {
        if (error) return {};
        auto m = bindMatrix(src, name, rows, cols);
        if (!m) {
            error = m.error();
            return {};
        }
        kernels::MatmulFormat format;
        if (!dtypeMatmulFormat(m->weight->dtype, format)) {  // bindMatrix admits no other dtype
            error = Error::badInput(src.origin() + ": tensor '" + name + "' is " +
                                    std::string(dtypeName(m->weight->dtype)) +
                                    ", which no kernel multiplies");
            return {};
        }
        return Linear{*m, format, fp8Input};
    }
    std::vector<float> vec(const std::string& name, std::int64_t n) {
        if (error) return {};
        const TensorView* t = src.find(name);
        if (!t || t->elements() != n) {
            error = Error::badInput(src.origin() + ": tensor '" + name + "' is " +
                                    (t ? "of " + std::to_string(t->elements()) + " elements, expected " +
                                             std::to_string(n)
                                       : std::string("missing")));
            return {};
        }
        std::vector<float> out(static_cast<std::size_t>(n));
        decodeTensor(*t, out);
        return out;
    }
    HcParams hc(const std::string& prefix, std::int64_t mixes, std::int64_t width, int scales) {
        return HcParams{vec(prefix + "_fn", mixes * width), vec(prefix + "_base", mixes),
                        vec(prefix + "_scale", scales)};
    }
    CompressorWeights compressor(const std::string& p, const ModelConfig& c, int ratio, int width) {
        CompressorWeights w;
        w.ratio = ratio;
        w.width = width;
        w.overlap = ratio == 4;
        const std::int64_t kc = (w.overlap ? 2 : 1) * std::int64_t(width);
        w.wkv = lin(p + "wkv.weight", kc, c.dim, false);
        w.wgate = lin(p + "wgate.weight", kc, c.dim, false);
        w.ape = vec(p + "ape", ratio * kc);
        w.norm = vec(p + "norm.weight", width);
        return w;
    }
    ExpertWeights expert(const std::string& p, std::int64_t f, std::int64_t d) {
        return ExpertWeights{lin(p + "w1.weight", f, d, true), lin(p + "w2.weight", d, f, true),
                             lin(p + "w3.weight", f, d, true)};
    }
};

AttentionWeights bindAttention(Binder& b, const ModelConfig& c, const std::string& a, int ratio) {
    AttentionWeights w;
    const std::int64_t d = c.dim, hc = std::int64_t(c.nHeads) * c.headDim;
    w.wqA = b.lin(a + "wq_a.weight", c.qLoraRank, d, true);
    w.qNorm = b.vec(a + "q_norm.weight", c.qLoraRank);
    w.wqB = b.lin(a + "wq_b.weight", hc, c.qLoraRank, true);
    w.wkv = b.lin(a + "wkv.weight", c.headDim, d, true);
    w.kvNorm = b.vec(a + "kv_norm.weight", c.headDim);
    // wo_a: the release reference dequantizes it and runs a BF16 einsum (spec §4.5), so its
    // input is not FP8-quantized; its output is rounded to BF16 in attention.cpp.
    w.woA = b.lin(a + "wo_a.weight", std::int64_t(c.oGroups) * c.oLoraRank, hc / c.oGroups, false);
    w.woB = b.lin(a + "wo_b.weight", d, std::int64_t(c.oGroups) * c.oLoraRank, true);
    w.sink = b.vec(a + "attn_sink", c.nHeads);
    if (ratio != 0) w.comp = b.compressor(a + "compressor.", c, ratio, c.headDim);
    if (ratio == 4) {
        const std::string ix = a + "indexer.";
        w.indexer.wqB = b.lin(ix + "wq_b.weight", std::int64_t(c.indexNHeads) * c.indexHeadDim,
                              c.qLoraRank, true);
        w.indexer.weightsProj = b.lin(ix + "weights_proj.weight", c.indexNHeads, d, false);
        w.indexer.comp = b.compressor(ix + "compressor.", c, 4, c.indexHeadDim);
    }
    return w;
}

MoeWeights bindMoe(Binder& b, const ModelConfig& c, const std::string& f, int layer) {
    MoeWeights w;
    const std::int64_t d = c.dim, E = c.nRoutedExperts;
    w.gate = b.lin(f + "gate.weight", E, d, false);
    w.hash = c.isHashLayer(layer);
    if (w.hash) {
        const auto ids = b.vec(f + "gate.tid2eid", c.vocabSize * c.nActivatedExperts);
        for (float v : ids) {
            if (!(v >= 0 && v < float(E)) && !b.error)
                b.error = Error::badInput(b.src.origin() + ": tensor '" + f +
                                          "gate.tid2eid' holds an expert id out of range");
            w.tid2eid.push_back(std::int32_t(v));
        }
    } else {
        w.bias = b.vec(f + "gate.bias", E);
    }
    for (int e = 0; e < E; ++e)
        w.experts.push_back(b.expert(f + "experts." + std::to_string(e) + ".", c.moeInterDim, d));
    w.shared = b.expert(f + "shared_experts.", std::int64_t(c.moeInterDim) * c.nSharedExperts, d);
    return w;
}

}  // namespace

Result<ModelWeights> bindWeights(const WeightSource& src) {
    const ModelConfig& c = src.config();
    Binder b{src, std::nullopt};
    ModelWeights w;
    const std::int64_t d = c.dim, hcWidth = std::int64_t(c.hcMult) * d;
    const std::int64_t mixes = std::int64_t(2 + c.hcMult) * c.hcMult;
    if (auto e = bindMatrix(src, "embed.weight", c.vocabSize, d)) w.embed = *e;
    else return unexpected(e.error());
    w.head = b.lin("head.weight", c.vocabSize, d, false);
    w.norm = b.vec("norm.weight", d);
    w.hcHead = b.hc("hc_head", c.hcMult, hcWidth, 1);
    for (int l = 0; l < c.nLayers; ++l) {
        const std::string p = "layers." + std::to_string(l) + ".";
        BlockWeights blk;
        blk.hcAttn = b.hc(p + "hc_attn", mixes, hcWidth, 3);
        blk.hcFfn = b.hc(p + "hc_ffn", mixes, hcWidth, 3);
        blk.attnNorm = b.vec(p + "attn_norm.weight", d);
        blk.ffnNorm = b.vec(p + "ffn_norm.weight", d);
        blk.attn = bindAttention(b, c, p + "attn.", c.compressRatio(l));
        blk.moe = bindMoe(b, c, p + "ffn.", l);
        w.blocks.push_back(std::move(blk));
        if (b.error) break;
    }
    if (b.error) return unexpected(*b.error);
    return w;
}

}  // namespace atelier::engine::fwd
