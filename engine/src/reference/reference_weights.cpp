// Decoding a WeightSource into double matrices for the reference forward. Every stored format
// goes through weight_decode.h, so the reference runs on F32, BF16, FP8+scale, I8-packed FP4,
// Q8_0 and MXFP4 files alike. The whole model is decoded up front: the reference is for the
// tiny and small presets.

#include <algorithm>
#include <string>

#include "atelier/engine/weight_decode.h"
#include "reference/reference_weights.h"

namespace atelier::engine::reference {
namespace {

struct Loader {
    const WeightSource& source;
    Error error;
    bool failed = false;

    void fail(std::string msg) {
        if (!failed) error = Error::badInput(source.origin() + ": " + std::move(msg));
        failed = true;
    }

    Matrix matrix(const std::string& name, std::int64_t rows, std::int64_t cols,
                  bool fp8Product) {
        Matrix m;
        if (failed) return m;
        auto bound = bindMatrix(source, name, rows, cols);
        if (!bound) {
            if (!failed) error = bound.error();
            failed = true;
            return m;
        }
        m.rows = rows;
        m.cols = cols;
        m.fp8Product = fp8Product;
        m.w.resize(std::size_t(rows * cols));
        for (std::int64_t r = 0; r < rows; ++r) decodeRow(*bound, r, m.w.data() + r * cols);
        return m;
    }

    Vec vector(const std::string& name, std::int64_t n) {
        if (failed) return {};
        const TensorView* t = source.find(name);
        if (!t) {
            fail("tensor '" + name + "' is missing");
            return {};
        }
        if (t->elements() != n || dtypeBlockSize(t->dtype) != 1 || t->dtype == DType::E2M1x2) {
            fail("tensor '" + name + "' (" + t->file + " at byte " +
                 std::to_string(t->fileOffset) + ") has " + std::to_string(t->elements()) + " " +
                 std::string(dtypeName(t->dtype)) + " elements, expected " + std::to_string(n) +
                 " plain values");
            return {};
        }
        std::vector<float> buf(static_cast<std::size_t>(n));
        decodeTensor(*t, buf);
        return Vec(buf.begin(), buf.end());
    }

    HcParams hc(const std::string& prefix, std::int64_t mixes, std::int64_t width,
                std::int64_t scales) {
        HcParams p;
        p.fn = matrix(prefix + "_fn", mixes, width, false);
        p.base = vector(prefix + "_base", mixes);
        p.scale = vector(prefix + "_scale", scales);
        return p;
    }

    CompressorWeights compressor(const std::string& p, int ratio, std::int64_t c,
                                 std::int64_t d) {
        const std::int64_t width = (ratio == 4 ? 2 : 1) * c;
        CompressorWeights w;
        w.wkv = matrix(p + "wkv.weight", width, d, false);
        w.wgate = matrix(p + "wgate.weight", width, d, false);
        w.ape = matrix(p + "ape", ratio, width, false);
        w.norm = vector(p + "norm.weight", c);
        return w;
    }

    AttentionWeights attention(const ModelConfig& c, int layer, const std::string& p) {
        const std::int64_t d = c.dim, hc = std::int64_t(c.nHeads) * c.headDim;
        AttentionWeights w;
        w.wqA = matrix(p + "wq_a.weight", c.qLoraRank, d, true);
        w.qNorm = vector(p + "q_norm.weight", c.qLoraRank);
        w.wqB = matrix(p + "wq_b.weight", hc, c.qLoraRank, true);
        w.wkv = matrix(p + "wkv.weight", c.headDim, d, true);
        w.kvNorm = vector(p + "kv_norm.weight", c.headDim);
        w.woA = matrix(p + "wo_a.weight", std::int64_t(c.oGroups) * c.oLoraRank,
                       hc / c.oGroups, false);  // a BF16 einsum in the reference (§4.5)
        w.woB = matrix(p + "wo_b.weight", d, std::int64_t(c.oGroups) * c.oLoraRank, true);
        w.sink = vector(p + "attn_sink", c.nHeads);
        const int ratio = c.compressRatio(layer);
        if (ratio != 0) w.compressor = compressor(p + "compressor.", ratio, c.headDim, d);
        if (ratio == 4) {
            IndexerWeights ix;
            ix.wqB = matrix(p + "indexer.wq_b.weight",
                            std::int64_t(c.indexNHeads) * c.indexHeadDim, c.qLoraRank, true);
            ix.weightsProj = matrix(p + "indexer.weights_proj.weight", c.indexNHeads, d, false);
            ix.compressor = compressor(p + "indexer.compressor.", 4, c.indexHeadDim, d);
            w.indexer = std::move(ix);
        }
        return w;
    }

    ExpertWeights expert(const std::string& p, std::int64_t f, std::int64_t d) {
        ExpertWeights e;
        e.w1 = matrix(p + "w1.weight", f, d, true);
        e.w2 = matrix(p + "w2.weight", d, f, true);
        e.w3 = matrix(p + "w3.weight", f, d, true);
        return e;
    }

    MoeWeights moe(const ModelConfig& c, int layer, const std::string& p) {
        MoeWeights w;
        w.gate = matrix(p + "gate.weight", c.nRoutedExperts, c.dim, false);
        if (c.isHashLayer(layer)) {
            const Vec ids = vector(p + "gate.tid2eid", c.vocabSize * c.nActivatedExperts);
            for (double id : ids) {
                if (id < 0 || id >= c.nRoutedExperts) {
                    fail("tensor '" + p + "gate.tid2eid' holds expert id " +
                         std::to_string(std::int64_t(id)) + " outside [0, " +
                         std::to_string(c.nRoutedExperts) + ")");
                    break;
                }
                w.tid2eid.push_back(std::int64_t(id));
            }
        } else {
            w.bias = vector(p + "gate.bias", c.nRoutedExperts);
        }
        for (int e = 0; e < c.nRoutedExperts; ++e)
            w.experts.push_back(
                expert(p + "experts." + std::to_string(e) + ".", c.moeInterDim, c.dim));
        w.shared = expert(p + "shared_experts.",
                          std::int64_t(c.moeInterDim) * c.nSharedExperts, c.dim);
        return w;
    }
};

}  // namespace

// Four partial sums: the same double arithmetic, but independent chains the compiler can
// pipeline (a single chain is latency-bound without -ffast-math).
template <typename A>
double dotImpl(std::span<const A> a, std::span<const double> b) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::size_t i = 0;
    for (; i + 4 <= a.size(); i += 4) {
        s0 += double(a[i]) * b[i];
        s1 += double(a[i + 1]) * b[i + 1];
        s2 += double(a[i + 2]) * b[i + 2];
        s3 += double(a[i + 3]) * b[i + 3];
    }
    for (; i < a.size(); ++i) s0 += double(a[i]) * b[i];
    return (s0 + s1) + (s2 + s3);
}

double dot(std::span<const double> a, std::span<const double> b) { return dotImpl(a, b); }
double dot(std::span<const float> a, std::span<const double> b) { return dotImpl(a, b); }

Vec matVec(const Matrix& m, std::span<const double> x, std::int64_t begin, std::int64_t end) {
    Vec y(std::size_t(end - begin));
    for (std::int64_t r = begin; r < end; ++r) {
        y[std::size_t(r - begin)] = dot(std::span<const float>(m.row(r), std::size_t(m.cols)), x);
    }
    return y;
}

Vec linear(const Matrix& m, std::span<const double> x, bool release) {
    if (!release || !m.fp8Product) return matVec(m, x, 0, m.rows);
    Vec q(x.begin(), x.end());
    fp8Simulate(q, 128);
    Vec y = matVec(m, q, 0, m.rows);
    bf16Round(y);
    return y;
}

Result<ModelWeights> loadGlobals(const WeightSource& source) {
    const ModelConfig& c = source.config();
    Loader in{source, {}, false};
    ModelWeights m;
    m.embed = in.matrix("embed.weight", c.vocabSize, c.dim, false);
    m.head = in.matrix("head.weight", c.vocabSize, c.dim, false);
    m.norm = in.vector("norm.weight", c.dim);
    m.hcHead = in.hc("hc_head", c.hcMult, std::int64_t(c.hcMult) * c.dim, 1);
    if (in.failed) return unexpected(in.error);
    return m;
}

Result<LayerWeights> loadLayer(const WeightSource& source, int layer) {
    const ModelConfig& c = source.config();
    Loader in{source, {}, false};
    const std::int64_t d = c.dim, hcWidth = std::int64_t(c.hcMult) * d;
    const std::int64_t mixes = std::int64_t(2 + c.hcMult) * c.hcMult;
    const std::string p = "layers." + std::to_string(layer) + ".";
    LayerWeights lw;
    lw.hcAttn = in.hc(p + "hc_attn", mixes, hcWidth, 3);
    lw.hcFfn = in.hc(p + "hc_ffn", mixes, hcWidth, 3);
    lw.attnNorm = in.vector(p + "attn_norm.weight", d);
    lw.ffnNorm = in.vector(p + "ffn_norm.weight", d);
    lw.attn = in.attention(c, layer, p + "attn.");
    lw.moe = in.moe(c, layer, p + "ffn.");
    if (in.failed) return unexpected(in.error);
    return lw;
}

}  // namespace atelier::engine::reference
