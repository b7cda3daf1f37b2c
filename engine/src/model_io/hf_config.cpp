#include "model_io/hf_config.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "atelier/engine/model_files.h"

namespace atelier::engine {
namespace {

using Json = nlohmann::json;

// Typed access to a config object whose keys come in two spellings. Every error names the
// file and the key.
class ConfigReader {
public:
    ConfigReader(const Json& root, std::string file) : m_root(root), m_file(std::move(file)) {}

    const Json* find(std::initializer_list<const char*> keys, std::string* used = nullptr) const {
        for (const char* k : keys) {
            auto it = m_root.find(k);
            if (it != m_root.end() && !it->is_null()) {
                if (used) *used = k;
                return &*it;
            }
        }
        return nullptr;
    }

    template <typename Int>
    Result<void> integer(std::initializer_list<const char*> keys, Int& out) const {
        std::string key;
        const Json* v = find(keys, &key);
        if (!v) return {};
        std::int64_t i = 0;
        if (v->is_number_integer()) {
            i = v->get<std::int64_t>();
        } else if (v->is_number_float() && std::fabs(v->get<double>()) < 9.0e18 &&
                   std::floor(v->get<double>()) == v->get<double>()) {
            i = std::int64_t(v->get<double>());  // 65536.0 is an integer too
        } else {
            return bad(key, "must be an integer");
        }
        out = Int(i);
        if (std::int64_t(out) != i) return bad(key, "is out of range");
        return {};
    }

    template <typename Real>
    Result<void> real(std::initializer_list<const char*> keys, Real& out) const {
        std::string key;
        const Json* v = find(keys, &key);
        if (!v) return {};
        if (!v->is_number()) return bad(key, "must be a number");
        const double d = v->get<double>();
        if (!std::isfinite(d) || std::fabs(d) > double(std::numeric_limits<Real>::max()))
            return bad(key, "is out of range");
        out = Real(d);
        return {};
    }

    // A string key that, when present, must equal `want`.
    Result<void> require(std::initializer_list<const char*> keys, const std::string& want,
                         const std::string& why) const {
        std::string key;
        const Json* v = find(keys, &key);
        if (!v) return {};
        if (!v->is_string() || v->get<std::string>() != want)
            return bad(key, "is " + v->dump() + "; only \"" + want + "\" is supported (" + why + ")");
        return {};
    }

    Unexpected bad(const std::string& key, const std::string& what) const {
        return unexpected(Error::badInput(m_file + ": key '" + key + "' " + what));
    }

private:
    const Json& m_root;
    std::string m_file;
};

Result<void> readRatios(const ConfigReader& r, ModelConfig& c) {
    std::string key;
    const Json* v = r.find({"compress_ratios"}, &key);
    if (!v) return r.bad("compress_ratios", "is missing");
    if (!v->is_array()) return r.bad(key, "must be an array of integers");
    c.compressRatios.clear();
    for (const auto& x : *v) {
        if (!x.is_number_integer() || x.get<std::int64_t>() < 0 || x.get<std::int64_t>() > 1 << 20)
            return r.bad(key, "must be an array of small non-negative integers");
        c.compressRatios.push_back(int(x.get<std::int64_t>()));
    }
    return {};
}

Result<void> readRopeScaling(const ConfigReader& r, const Json& root, ModelConfig& c) {
    auto it = root.find("rope_scaling");
    if (it != root.end() && !it->is_null()) {
        if (!it->is_object()) return r.bad("rope_scaling", "must be an object");
        ConfigReader s(*it, "config.json rope_scaling");
        ATELIER_TRY_VOID(s.require({"type", "rope_type"}, "yarn", "V4 uses YaRN"));
        ATELIER_TRY_VOID(s.real({"factor"}, c.yarnFactor));
        ATELIER_TRY_VOID(s.integer({"original_max_position_embeddings"}, c.yarnOriginalSeqLen));
        ATELIER_TRY_VOID(s.real({"beta_fast"}, c.yarnBetaFast));
        ATELIER_TRY_VOID(s.real({"beta_slow"}, c.yarnBetaSlow));
    }
    // The inference folder's flat spelling.
    ATELIER_TRY_VOID(r.real({"rope_factor"}, c.yarnFactor));
    ATELIER_TRY_VOID(r.integer({"original_seq_len"}, c.yarnOriginalSeqLen));
    ATELIER_TRY_VOID(r.real({"beta_fast"}, c.yarnBetaFast));
    ATELIER_TRY_VOID(r.real({"beta_slow"}, c.yarnBetaSlow));
    return {};
}

Result<void> checkQuantization(const ConfigReader& r, const Json& root) {
    auto it = root.find("quantization_config");
    if (it != root.end() && !it->is_null()) {
        if (!it->is_object()) return r.bad("quantization_config", "must be an object");
        ConfigReader q(*it, "config.json quantization_config");
        ATELIER_TRY_VOID(q.require({"quant_method"}, "fp8", "FP8 block scaling"));
        ATELIER_TRY_VOID(q.require({"fmt"}, "e4m3", "FP8 E4M3 weights"));
        ATELIER_TRY_VOID(q.require({"scale_fmt"}, "ue8m0", "UE8M0 block scales"));
        auto bs = it->find("weight_block_size");
        if (bs != it->end() && *bs != Json::array({128, 128}))
            return r.bad("quantization_config.weight_block_size",
                         "is " + bs->dump() + "; only [128, 128] is supported");
    }
    ATELIER_TRY_VOID(r.require({"scale_fmt"}, "ue8m0", "UE8M0 block scales"));
    std::string key;
    if (const Json* e = r.find({"expert_dtype"}, &key);
        e && !(e->is_string() && (*e == "fp4" || *e == "fp8" || *e == "bf16")))
        return r.bad(key, "is " + e->dump() + "; expected \"fp4\", \"fp8\" or \"bf16\"");
    return {};
}

Result<void> checkArchitecture(const ConfigReader& r) {
    ATELIER_TRY_VOID(r.require({"model_type"}, "deepseek_v4", "a DeepSeek V4 checkpoint"));
    ATELIER_TRY_VOID(r.require({"scoring_func", "score_func"}, "sqrtsoftplus", "V4's router"));
    ATELIER_TRY_VOID(r.require({"hidden_act"}, "silu", "SwiGLU experts"));
    ATELIER_TRY_VOID(r.require({"topk_method"}, "noaux_tc", "V4's router"));
    int kvHeads = 1;
    ATELIER_TRY_VOID(r.integer({"num_key_value_heads"}, kvHeads));
    if (kvHeads != 1) return r.bad("num_key_value_heads", "must be 1 (shared-KV MQA)");
    std::string key;
    if (const Json* t = r.find({"tie_word_embeddings"}, &key); t && !(t->is_boolean() && !t->get<bool>()))
        return r.bad(key, "must be false (V4 has a separate head)");
    for (const char* k : {"n_group", "topk_group"}) {
        int groups = 1;
        ATELIER_TRY_VOID(r.integer({k}, groups));
        if (groups > 1) return r.bad(k, "> 1: group-limited routing is not V4's");
    }
    return {};
}

Result<void> readFields(const ConfigReader& r, ModelConfig& c) {
    ATELIER_TRY_VOID(r.integer({"vocab_size"}, c.vocabSize));
    ATELIER_TRY_VOID(r.integer({"hidden_size", "dim"}, c.dim));
    ATELIER_TRY_VOID(r.integer({"num_hidden_layers", "n_layers"}, c.nLayers));
    ATELIER_TRY_VOID(r.integer({"num_attention_heads", "n_heads"}, c.nHeads));
    ATELIER_TRY_VOID(r.integer({"head_dim"}, c.headDim));
    ATELIER_TRY_VOID(r.integer({"qk_rope_head_dim", "rope_head_dim"}, c.ropeHeadDim));
    ATELIER_TRY_VOID(r.integer({"q_lora_rank"}, c.qLoraRank));
    ATELIER_TRY_VOID(r.integer({"o_groups"}, c.oGroups));
    ATELIER_TRY_VOID(r.integer({"o_lora_rank"}, c.oLoraRank));
    ATELIER_TRY_VOID(r.integer({"sliding_window", "window_size"}, c.windowSize));
    ATELIER_TRY_VOID(r.integer({"index_n_heads"}, c.indexNHeads));
    ATELIER_TRY_VOID(r.integer({"index_head_dim"}, c.indexHeadDim));
    ATELIER_TRY_VOID(r.integer({"index_topk"}, c.indexTopk));
    ATELIER_TRY_VOID(r.integer({"n_routed_experts"}, c.nRoutedExperts));
    ATELIER_TRY_VOID(r.integer({"n_shared_experts"}, c.nSharedExperts));
    ATELIER_TRY_VOID(r.integer({"num_experts_per_tok", "n_activated_experts"}, c.nActivatedExperts));
    ATELIER_TRY_VOID(r.integer({"moe_intermediate_size", "moe_inter_dim"}, c.moeInterDim));
    ATELIER_TRY_VOID(r.integer({"num_hash_layers", "n_hash_layers"}, c.nHashLayers));
    ATELIER_TRY_VOID(r.real({"routed_scaling_factor", "route_scale"}, c.routeScale));
    ATELIER_TRY_VOID(r.real({"swiglu_limit"}, c.swigluLimit));
    ATELIER_TRY_VOID(r.integer({"hc_mult"}, c.hcMult));
    ATELIER_TRY_VOID(r.integer({"hc_sinkhorn_iters"}, c.hcSinkhornIters));
    ATELIER_TRY_VOID(r.real({"hc_eps"}, c.hcEps));
    ATELIER_TRY_VOID(r.real({"rms_norm_eps", "norm_eps"}, c.normEps));
    ATELIER_TRY_VOID(r.real({"rope_theta"}, c.ropeTheta));
    ATELIER_TRY_VOID(r.real({"compress_rope_theta"}, c.compressRopeTheta));
    ATELIER_TRY_VOID(r.integer({"max_position_embeddings"}, c.maxPositionEmbeddings));
    ATELIER_TRY_VOID(r.integer({"bos_token_id"}, c.bosTokenId));
    ATELIER_TRY_VOID(r.integer({"eos_token_id"}, c.eosTokenId));
    ATELIER_TRY_VOID(readRatios(r, c));
    // The inference folder has no MTP count; its compress_ratios carry one entry per MTP block.
    c.nMtpLayers = int(c.compressRatios.size()) - c.nLayers;
    ATELIER_TRY_VOID(r.integer({"num_nextn_predict_layers", "n_mtp_layers"}, c.nMtpLayers));
    if (const Json* n = r.find({"_name_or_path"}); n && n->is_string() && !n->get<std::string>().empty())
        c.name = n->get<std::string>();
    return {};
}

// Shortest decimal that reads back as the same float, so 1e-6f is written "1e-06".
double shortest(float f) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, f);
    *res.ptr = '\0';
    return std::strtod(buf, nullptr);
}

}  // namespace

Result<ModelConfig> parseHfConfig(const std::string& text, const std::string& fileName) {
    Json root;
    try {
        root = Json::parse(text);
    } catch (const Json::exception& e) {
        return unexpected(Error::badInput(fileName + ": invalid JSON: " + e.what()));
    }
    if (!root.is_object()) return unexpected(Error::badInput(fileName + ": not a JSON object"));
    ConfigReader r(root, fileName);
    ModelConfig c;
    try {
        ATELIER_TRY_VOID(checkArchitecture(r));
        ATELIER_TRY_VOID(checkQuantization(r, root));
        ATELIER_TRY_VOID(readFields(r, c));
        ATELIER_TRY_VOID(readRopeScaling(r, root, c));
    } catch (const Json::exception& e) {
        return unexpected(Error::badInput(fileName + ": " + e.what()));
    }
    if (c.nMtpLayers < 0)
        return unexpected(Error::badInput(fileName + ": compress_ratios has fewer entries than layers"));
    if (auto v = c.validate(); !v)
        return unexpected(Error::badInput(fileName + ": " + v.error().message));
    return c;
}

Result<ModelConfig> readHfConfig(const std::filesystem::path& configJson) {
    // A FIFO or device named config.json would block the open (or read for ever).
    std::error_code ec;
    const auto status = std::filesystem::status(configJson, ec);
    if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
        return unexpected(Error::badInput(configJson.string() + ": not a regular file"));
    std::ifstream in(configJson, std::ios::binary);
    if (!in) return unexpected(Error::notFound(configJson.string() + ": cannot open"));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return unexpected(Error::io(configJson.string() + ": read failed"));
    return parseHfConfig(text.str(), configJson.string());
}

std::string hfConfigJson(const ModelConfig& c, WeightScheme scheme) {
    Json j;
    j["architectures"] = {"DeepseekV4ForCausalLM"};
    j["model_type"] = "deepseek_v4";
    j["_name_or_path"] = c.name;
    j["attention_bias"] = false;
    j["attention_dropout"] = 0.0;
    j["bos_token_id"] = c.bosTokenId;
    j["eos_token_id"] = c.eosTokenId;
    j["hc_eps"] = shortest(c.hcEps);
    j["hc_mult"] = c.hcMult;
    j["hc_sinkhorn_iters"] = c.hcSinkhornIters;
    j["head_dim"] = c.headDim;
    j["hidden_act"] = "silu";
    j["hidden_size"] = c.dim;
    j["index_head_dim"] = c.indexHeadDim;
    j["index_n_heads"] = c.indexNHeads;
    j["index_topk"] = c.indexTopk;
    j["initializer_range"] = 0.02;
    j["max_position_embeddings"] = c.maxPositionEmbeddings;
    j["moe_intermediate_size"] = c.moeInterDim;
    j["n_routed_experts"] = c.nRoutedExperts;
    j["n_shared_experts"] = c.nSharedExperts;
    j["norm_topk_prob"] = true;
    j["num_attention_heads"] = c.nHeads;
    j["num_experts_per_tok"] = c.nActivatedExperts;
    j["num_hidden_layers"] = c.nLayers;
    j["num_hash_layers"] = c.nHashLayers;
    j["num_key_value_heads"] = 1;
    j["num_nextn_predict_layers"] = c.nMtpLayers;
    j["o_groups"] = c.oGroups;
    j["o_lora_rank"] = c.oLoraRank;
    j["q_lora_rank"] = c.qLoraRank;
    j["qk_rope_head_dim"] = c.ropeHeadDim;
    if (scheme == WeightScheme::FP8) {
        j["expert_dtype"] = "fp4";
        j["quantization_config"] = {{"activation_scheme", "dynamic"}, {"fmt", "e4m3"},
                                    {"quant_method", "fp8"}, {"scale_fmt", "ue8m0"},
                                    {"weight_block_size", {128, 128}}};
    }
    j["rms_norm_eps"] = shortest(c.normEps);
    j["rope_scaling"] = {{"beta_fast", c.yarnBetaFast}, {"beta_slow", c.yarnBetaSlow},
                         {"factor", c.yarnFactor},
                         {"original_max_position_embeddings", c.yarnOriginalSeqLen},
                         {"type", "yarn"}};
    j["rope_theta"] = c.ropeTheta;
    j["routed_scaling_factor"] = shortest(c.routeScale);
    j["scoring_func"] = "sqrtsoftplus";
    j["sliding_window"] = c.windowSize;
    j["swiglu_limit"] = shortest(c.swigluLimit);
    j["tie_word_embeddings"] = false;
    j["topk_method"] = "noaux_tc";
    j["torch_dtype"] = scheme == WeightScheme::F32 ? "float32" : "bfloat16";
    j["use_cache"] = true;
    j["vocab_size"] = c.vocabSize;
    j["compress_rope_theta"] = c.compressRopeTheta;
    j["compress_ratios"] = c.compressRatios;
    return j.dump(2) + "\n";
}

}  // namespace atelier::engine
