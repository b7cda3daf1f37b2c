// Which ggml type each deepseek4 tensor gets when `model create` quantizes, following
// llama-quantize (src/llama-quant.cpp): tensor_allows_quantization, the output-tensor rule, the
// MXFP4_MOE split, the Q4_K_M "more bits" layers and tensor_type_fallback for rows that the block
// size does not divide; and the mixes that published DeepSeek V4 files use.

#include <cstdlib>

#include "gguf_deepseek4.h"

namespace atelier::engine {

const std::vector<GgufQuantRecipe>& ggufQuantRecipes() {
    static const std::vector<GgufQuantRecipe> recipes = {
        {"q8_0", GgufQuant::Q8_0},       {"q6_k", GgufQuant::Q6_K},         {"q5_k", GgufQuant::Q5_K},
        {"q5_1", GgufQuant::Q5_1},       {"q5_0", GgufQuant::Q5_0},         {"q4_k", GgufQuant::Q4_K},
        {"q4_1", GgufQuant::Q4_1},       {"q4_0", GgufQuant::Q4_0},         {"iq4_nl", GgufQuant::IQ4_NL},
        {"iq4_xs", GgufQuant::IQ4_XS},   {"q3_k", GgufQuant::Q3_K},         {"iq3_s", GgufQuant::IQ3_S},
        {"iq3_xxs", GgufQuant::IQ3_XXS}, {"q2_k", GgufQuant::Q2_K},         {"iq2_s", GgufQuant::IQ2_S},
        {"iq2_xs", GgufQuant::IQ2_XS},   {"iq2_xxs", GgufQuant::IQ2_XXS},   {"iq1_m", GgufQuant::IQ1_M},
        {"iq1_s", GgufQuant::IQ1_S},     {"mxfp4", GgufQuant::Mxfp4},       {"f16", GgufQuant::F16},       {"q4_k_m", GgufQuant::Q4_K_M},
        {"q2_k_xl", GgufQuant::Q2_K_XL}, {"expert_2bit", GgufQuant::Expert2Bit},
        {"iq2_xxs_xl", GgufQuant::IQ2_XXS_XL}, {"iq2_xs_xl", GgufQuant::IQ2_XS_XL},
        {"iq1_m_xl", GgufQuant::IQ1_M_XL}, {"iq1_s_xl", GgufQuant::IQ1_S_XL},
    };
    return recipes;
}

GgufQuant ggufQuantFromName(const std::string& name) {
    for (const GgufQuantRecipe& r : ggufQuantRecipes())
        if (name == r.name) return r.quant;
    return GgufQuant::None;
}

namespace gguf {
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
    GgmlType f = GgmlType::Q8_0;
    switch (t) {
    case GgmlType::Q4_K: f = GgmlType::Q5_0; break;
    case GgmlType::Q5_K: f = GgmlType::Q5_1; break;
    case GgmlType::Q6_K: f = GgmlType::Q8_0; break;
    case GgmlType::Q2_K:
    case GgmlType::Q3_K:
    case GgmlType::IQ4_XS:
    case GgmlType::IQ3_S:
    case GgmlType::IQ3_XXS:
    case GgmlType::IQ2_S:
    case GgmlType::IQ2_XS:
    case GgmlType::IQ2_XXS:
    case GgmlType::IQ1_M:
    case GgmlType::IQ1_S: f = GgmlType::IQ4_NL; break;
    default: break;
    }
    return ncols % ggmlBlockSize(f) == 0 ? f : GgmlType::F16;
}

// The part of the model a tensor belongs to, for the mixes.
enum class Part { Embedding, Head, ExpertGateUp, ExpertDown, SharedExpert, Other };

Part partOf(const std::string& n) {
    if (n == "token_embd.weight") return Part::Embedding;
    if (n == "output.weight") return Part::Head;
    if (n.find("ffn_gate_exps") != std::string::npos || n.find("ffn_up_exps") != std::string::npos)
        return Part::ExpertGateUp;
    if (n.find("ffn_down_exps") != std::string::npos) return Part::ExpertDown;
    if (n.find("_shexp") != std::string::npos) return Part::SharedExpert;
    return Part::Other;  // attention, compressor, indexer, hyper-connection matrices
}

// llama-quantize's use_more_bits: the first and last eighth of the layers and every third one
// between them get more bits in Q4_K_M.
bool moreBitsLayer(const std::string& name, int nLayers) {
    if (!name.starts_with("blk.") || nLayers <= 0) return false;
    const int i = std::atoi(name.c_str() + 4);
    return i < nLayers / 8 || i >= 7 * nLayers / 8 || (i - nLayers / 8) % 3 == 2;
}

// One type per part: embedding, head, expert gate/up, expert down, shared expert, other.
struct Mix {
    GgmlType embedding, head, gateUp, down, shared, other;
    GgmlType of(Part p) const {
        switch (p) {
        case Part::Embedding: return embedding;
        case Part::Head: return head;
        case Part::ExpertGateUp: return gateUp;
        case Part::ExpertDown: return down;
        case Part::SharedExpert: return shared;
        case Part::Other: break;
        }
        return other;
    }
};

Mix uniform(GgmlType t) {
    const GgmlType head = t == GgmlType::Q8_0 ? GgmlType::Q8_0 : GgmlType::Q6_K;  // llama-quantize's rule
    return {t, head, t, t, t, t};
}

Mix mixFor(GgufQuant q) {
    using G = GgmlType;
    switch (q) {
    case GgufQuant::None:
    case GgufQuant::Q8_0: return uniform(G::Q8_0);
    case GgufQuant::Mxfp4: return {G::Q8_0, G::Q8_0, G::MXFP4, G::MXFP4, G::Q8_0, G::Q8_0};
    case GgufQuant::Q4_K:
    case GgufQuant::Q4_K_M: return uniform(G::Q4_K);
    case GgufQuant::Q5_K: return uniform(G::Q5_K);
    case GgufQuant::Q6_K: return uniform(G::Q6_K);
    case GgufQuant::Q2_K: return uniform(G::Q2_K);
    case GgufQuant::Q3_K: return uniform(G::Q3_K);
    case GgufQuant::Q4_0: return uniform(G::Q4_0);
    case GgufQuant::Q4_1: return uniform(G::Q4_1);
    case GgufQuant::Q5_0: return uniform(G::Q5_0);
    case GgufQuant::Q5_1: return uniform(G::Q5_1);
    case GgufQuant::IQ4_NL: return uniform(G::IQ4_NL);
    case GgufQuant::IQ4_XS: return uniform(G::IQ4_XS);
    case GgufQuant::IQ3_S: return uniform(G::IQ3_S);
    case GgufQuant::IQ3_XXS: return uniform(G::IQ3_XXS);
    case GgufQuant::IQ2_S: return uniform(G::IQ2_S);
    case GgufQuant::IQ2_XS: return uniform(G::IQ2_XS);
    case GgufQuant::IQ2_XXS: return uniform(G::IQ2_XXS);
    case GgufQuant::IQ1_M: return uniform(G::IQ1_M);
    case GgufQuant::IQ1_S: return uniform(G::IQ1_S);
    case GgufQuant::F16: return {G::F16, G::F16, G::F16, G::F16, G::F16, G::F16};
    case GgufQuant::Q2_K_XL: return {G::Q4_K, G::Q6_K, G::Q2_K, G::Q3_K, G::Q4_K, G::Q4_K};
    case GgufQuant::Expert2Bit: return {G::Q4_K, G::Q8_0, G::IQ2_XXS, G::Q2_K, G::Q4_K, G::Q4_K};
    case GgufQuant::IQ2_XXS_XL: return {G::Q4_K, G::Q8_0, G::IQ2_XXS, G::IQ2_XXS, G::IQ3_XXS, G::IQ4_XS};
    case GgufQuant::IQ2_XS_XL: return {G::Q4_K, G::Q8_0, G::IQ2_XS, G::IQ2_XS, G::IQ3_XXS, G::IQ4_XS};
    case GgufQuant::IQ1_M_XL: return {G::IQ4_XS, G::Q8_0, G::IQ1_M, G::IQ2_XXS, G::IQ3_S, G::IQ4_XS};
    case GgufQuant::IQ1_S_XL: return {G::IQ4_XS, G::Q8_0, G::IQ1_S, G::IQ2_XXS, G::IQ3_S, G::IQ4_XS};
    }
    return uniform(G::Q8_0);
}

}  // namespace

GgmlType ggufQuantTypeFor(const TensorPlan& p, GgufQuant quant, int nLayers) {
    if (!quantizable(p)) return ggufTypeFor(p.role, WeightScheme::F32);
    const Part part = partOf(p.ggufName);
    GgmlType t = mixFor(quant).of(part);
    // MXFP4 experts are stacked 3-D tensors; a 2-D matrix that looks like one stays Q8_0.
    if (t == GgmlType::MXFP4 && !(p.ne.size() == 3 && p.ne[2] > 1)) t = GgmlType::Q8_0;
    if (quant == GgufQuant::Q4_K_M && (part == Part::ExpertDown || part == Part::SharedExpert) &&
        p.ggufName.find("ffn_down") != std::string::npos && moreBitsLayer(p.ggufName, nLayers))
        t = GgmlType::Q6_K;
    return fallback(t, p.ne[0]);
}

}  // namespace gguf
}  // namespace atelier::engine
