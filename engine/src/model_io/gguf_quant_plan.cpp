// Which ggml type each deepseek4 tensor gets when `model create` quantizes, following
// llama-quantize (src/llama-quant.cpp): tensor_allows_quantization, the output-tensor rule, the
// MXFP4_MOE split and tensor_type_fallback for rows that the block size does not divide.

#include "gguf_deepseek4.h"

namespace atelier::engine::gguf {
namespace {

// llama-quantize leaves 1-D tensors, names not ending in "weight", "*_norm.weight",
// ffn_gate_inp (the router) and ffn_gate_tid2eid as they are.
bool quantizable(const TensorPlan& p) {
    const std::string& n = p.ggufName;
    std::size_t dims = p.ne.size();  // ggml_n_dims: trailing 1s do not count
    while (dims > 1 && p.ne[dims - 1] == 1) --dims;
    if (dims < 2) return false;
    if (!n.ends_with("weight")) return false;
    if (n.find("_norm.weight") != std::string::npos) return false;
    if (n.find("ffn_gate_inp.weight") != std::string::npos) return false;
    return n.find("ffn_gate_tid2eid.weight") == std::string::npos;
}

GgmlType fallback(GgmlType t, std::int64_t ncols) {
    if (ncols % ggmlBlockSize(t) == 0) return t;
    // llama-quantize gives Q5_K rows Q5_1, which this reader lacks: Q5_0 (one bit less of offset).
    const GgmlType f = t == GgmlType::Q4_K || t == GgmlType::Q5_K ? GgmlType::Q5_0
                       : t == GgmlType::Q2_K                      ? GgmlType::Q4_0
                                                                  : GgmlType::Q8_0;
    return ncols % ggmlBlockSize(f) == 0 ? f : GgmlType::F16;
}

}  // namespace

GgmlType ggufQuantTypeFor(const TensorPlan& p, GgufQuant quant) {
    if (!quantizable(p)) return ggufTypeFor(p.role, WeightScheme::F32);
    const bool output = p.ggufName == "output.weight";
    GgmlType t = GgmlType::Q8_0;
    switch (quant) {
    case GgufQuant::None:
    case GgufQuant::Q8_0: t = GgmlType::Q8_0; break;
    case GgufQuant::Mxfp4: t = p.ne.size() == 3 && p.ne[2] > 1 && !output ? GgmlType::MXFP4 : GgmlType::Q8_0; break;
    case GgufQuant::Q4_K: t = GgmlType::Q4_K; break;
    case GgufQuant::Q5_K: t = GgmlType::Q5_K; break;
    case GgufQuant::Q6_K: t = GgmlType::Q6_K; break;
    case GgufQuant::Q2_K: t = GgmlType::Q2_K; break;
    }
    if (output && t != GgmlType::Q8_0) t = p.ne[0] % 256 == 0 ? GgmlType::Q6_K : GgmlType::Q8_0;
    return fallback(t, p.ne[0]);
}

}  // namespace atelier::engine::gguf
