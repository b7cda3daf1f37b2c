// The tensor half of the deepseek4 layout (doc §3, §4): names, ne and types.

#include <map>
#include <string_view>

#include "gguf_deepseek4.h"

namespace atelier::engine::gguf {
namespace {

// HF name suffix inside a block (after "layers.N." / "mtp.M.") -> GGUF suffix (after "blk.B.").
const std::map<std::string, std::string, std::less<>>& blockNames() {
    static const std::map<std::string, std::string, std::less<>> m = {
        {"hc_attn_fn", "hc_attn_fn.weight"},
        {"hc_attn_base", "hc_attn_base.weight"},
        {"hc_attn_scale", "hc_attn_scale.weight"},
        {"hc_ffn_fn", "hc_ffn_fn.weight"},
        {"hc_ffn_base", "hc_ffn_base.weight"},
        {"hc_ffn_scale", "hc_ffn_scale.weight"},
        {"attn_norm.weight", "attn_norm.weight"},
        {"ffn_norm.weight", "ffn_norm.weight"},
        {"attn.wq_a.weight", "attn_q_a.weight"},
        {"attn.q_norm.weight", "attn_q_a_norm.weight"},
        {"attn.wq_b.weight", "attn_q_b.weight"},
        {"attn.wkv.weight", "attn_kv.weight"},
        {"attn.kv_norm.weight", "attn_kv_a_norm.weight"},
        {"attn.wo_a.weight", "attn_output_a.weight"},
        {"attn.wo_b.weight", "attn_output_b.weight"},
        {"attn.attn_sink", "attn_sinks.weight"},
        {"attn.compressor.wkv.weight", "attn_compressor_kv.weight"},
        {"attn.compressor.wgate.weight", "attn_compressor_gate.weight"},
        {"attn.compressor.ape", "attn_compressor_ape.weight"},
        {"attn.compressor.norm.weight", "attn_compressor_norm.weight"},
        {"attn.indexer.wq_b.weight", "indexer.attn_q_b.weight"},
        {"attn.indexer.weights_proj.weight", "indexer.proj.weight"},
        {"attn.indexer.compressor.wkv.weight", "indexer_compressor_kv.weight"},
        {"attn.indexer.compressor.wgate.weight", "indexer_compressor_gate.weight"},
        {"attn.indexer.compressor.ape", "indexer_compressor_ape.weight"},
        {"attn.indexer.compressor.norm.weight", "indexer_compressor_norm.weight"},
        {"ffn.gate.weight", "ffn_gate_inp.weight"},
        {"ffn.gate.tid2eid", "ffn_gate_tid2eid.weight"},
        {"ffn.gate.bias", "exp_probs_b.bias"},
        {"ffn.shared_experts.w1.weight", "ffn_gate_shexp.weight"},
        {"ffn.shared_experts.w2.weight", "ffn_down_shexp.weight"},
        {"ffn.shared_experts.w3.weight", "ffn_up_shexp.weight"},
        {"enorm.weight", "nextn.enorm.weight"},
        {"hnorm.weight", "nextn.hnorm.weight"},
        {"norm.weight", "nextn.shared_head_norm.weight"},
    };
    return m;
}

const std::map<std::string, std::string, std::less<>>& globalNames() {
    static const std::map<std::string, std::string, std::less<>> m = {
        {"embed.weight", "token_embd.weight"},       {"head.weight", "output.weight"},
        {"norm.weight", "output_norm.weight"},       {"hc_head_fn", "output_hc_fn.weight"},
        {"hc_head_base", "output_hc_base.weight"},   {"hc_head_scale", "output_hc_scale.weight"},
    };
    return m;
}

std::vector<std::int64_t> reversed(const std::vector<std::int64_t>& s) { return {s.rbegin(), s.rend()}; }

// "layers.3.ffn.experts.5.w1.weight" -> ("ffn_gate_exps.weight"); w1 gate, w3 up, w2 down.
std::string expertName(std::string_view suffix) {
    if (suffix.ends_with(".w1.weight")) return "ffn_gate_exps.weight";
    if (suffix.ends_with(".w3.weight")) return "ffn_up_exps.weight";
    return "ffn_down_exps.weight";
}

}  // namespace

std::string fusedMtpProjectionName(int mtpIndex) { return "mtp." + std::to_string(mtpIndex) + ".eh_proj.weight"; }

std::vector<TensorPlan> tensorPlan(const ModelConfig& c) {
    std::vector<TensorPlan> plan;
    std::map<std::string, std::size_t> grouped;  // GGUF name -> plan index, for multi-part tensors
    for (const auto& spec : expectedTensors(c)) {
        if (spec.layer < 0) {
            plan.push_back({globalNames().at(spec.name), reversed(spec.shape), spec.role, PlanLayout::Single, {spec}});
            continue;
        }
        const std::string prefix =
            spec.mtp ? "mtp." + std::to_string(spec.layer - c.nLayers) + "." : "layers." + std::to_string(spec.layer) + ".";
        const std::string_view suffix = std::string_view(spec.name).substr(prefix.size());
        const std::string blk = "blk." + std::to_string(spec.layer) + ".";
        if (spec.expert >= 0 || suffix == "e_proj.weight" || suffix == "h_proj.weight") {
            const bool experts = spec.expert >= 0;
            const std::string name = blk + (experts ? expertName(suffix) : "nextn.eh_proj.weight");
            auto [it, fresh] = grouped.emplace(name, plan.size());
            if (fresh) {
                std::vector<std::int64_t> ne = reversed(spec.shape);
                if (experts) ne.push_back(c.nRoutedExperts);
                else ne[0] *= 2;
                plan.push_back({name, ne, spec.role, experts ? PlanLayout::StackedExperts : PlanLayout::ConcatInput, {}});
            }
            plan[it->second].parts.push_back(spec);
            continue;
        }
        if (spec.mtp && suffix.starts_with("hc_head_")) continue;  // lives in the separate MTP file
        plan.push_back({blk + blockNames().at(std::string(suffix)), reversed(spec.shape), spec.role,
                        PlanLayout::Single, {spec}});
    }
    return plan;
}

GgmlType ggufTypeFor(TensorRole role, WeightScheme scheme) {
    switch (role) {
    case TensorRole::Tid2Eid: return GgmlType::I32;
    case TensorRole::Embedding:
    case TensorRole::Head:
    case TensorRole::LinearBf16: return scheme == WeightScheme::F32 ? GgmlType::F32 : GgmlType::BF16;
    case TensorRole::LinearFp8:
        return scheme == WeightScheme::F32 ? GgmlType::F32 : scheme == WeightScheme::BF16 ? GgmlType::BF16 : GgmlType::Q8_0;
    case TensorRole::ExpertFp4:
        return scheme == WeightScheme::F32 ? GgmlType::F32 : scheme == WeightScheme::BF16 ? GgmlType::BF16 : GgmlType::MXFP4;
    default: return GgmlType::F32;  // norms, HC, sinks, ape, bias: F32 islands (doc §4)
    }
}

bool ggufTypeAllowed(TensorRole role, GgmlType t) {
    const bool plainFloat = t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16;
    const bool block = ggmlBlockSize(t) > 1;  // Q8_0, MXFP4, K-quants and their fallbacks
    switch (role) {
    case TensorRole::Tid2Eid: return t == GgmlType::I32;
    case TensorRole::HcBase:
    case TensorRole::HcScale:
    case TensorRole::Sink: return t == GgmlType::F32;  // ggml asserts F32 in the fused ops
    case TensorRole::Norm:
    case TensorRole::GateBias: return plainFloat;
    // 2-D tensors whose names end in "weight": llama-quantize quantizes them like any matrix.
    case TensorRole::Ape:
    case TensorRole::HcFn:
    default: return plainFloat || block;
    }
}

}  // namespace atelier::engine::gguf
