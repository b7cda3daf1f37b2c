// The metadata half of the deepseek4 layout (doc §2): architecture and tokenizer keys.

#include "gguf_deepseek4.h"

#include <algorithm>
#include <cstring>
#include <optional>

namespace atelier::engine::gguf {
namespace {

std::string arch(const std::string& key) { return std::string(kArchitecture) + "." + key; }

// Typed access to the metadata with llama.cpp's strictness: a key must carry exactly the GGUF
// type the loader asks for.
class Meta {
public:
    explicit Meta(const GgufFile& f) : m_f(f) {}

    Error fail(const std::string& key, const Value* v, const std::string& msg) const {
        return Error::badInput(m_f.fileName + ": key '" + key + "' " + msg +
                               (v ? " (at byte " + std::to_string(v->offset) + ")" : ""));
    }

    // nullptr when absent and optional; an error when absent and required or of the wrong type.
    Result<const Value*> get(const std::string& key, ValueType type, bool required) const {
        const Value* v = m_f.find(key);
        if (!v) {
            if (required) return fail(key, nullptr, "is required but missing");
            return static_cast<const Value*>(nullptr);
        }
        if (v->type != type)
            return fail(key, v, "has GGUF type " + std::string(valueTypeName(v->type)) + ", expected " +
                                    std::string(valueTypeName(type)));
        return v;
    }

    Result<std::uint32_t> u32(const std::string& key, std::optional<std::uint32_t> def = {}) const {
        auto v = get(key, ValueType::U32, !def);
        if (!v) return v.error();
        return *v ? std::uint32_t(std::get<std::uint64_t>((*v)->scalar)) : *def;
    }
    // A u32 that sizes tensors: bounded so that products of sizes cannot overflow and a hostile
    // header cannot make the tensor plan explode.
    Result<std::uint32_t> size(const std::string& key) const {
        auto v = u32(key);
        if (!v) return v;
        if (*v > kMaxSize) return fail(key, m_f.find(key), "= " + std::to_string(*v) + " exceeds " + std::to_string(kMaxSize));
        return v;
    }
    static constexpr std::uint32_t kMaxSize = 1u << 24;

    Result<float> f32(const std::string& key, std::optional<float> def = {}) const {
        auto v = get(key, ValueType::F32, !def);
        if (!v) return v.error();
        return *v ? float(std::get<double>((*v)->scalar)) : *def;
    }
    Result<bool> boolean(const std::string& key) const {
        auto v = get(key, ValueType::Bool, true);
        if (!v) return v.error();
        return std::get<bool>((*v)->scalar);
    }
    Result<std::string> str(const std::string& key, std::optional<std::string> def = {}) const {
        auto v = get(key, ValueType::String, !def);
        if (!v) return v.error();
        return *v ? std::get<std::string>((*v)->scalar) : *def;
    }

    // A number array of i32 or u32 elements, or a single scalar of `scalarType` (count 1).
    Result<std::vector<double>> numbers(const std::string& key, std::initializer_list<ValueType> elemTypes,
                                        std::optional<ValueType> scalarType) const {
        const Value* v = m_f.find(key);
        if (!v) return fail(key, nullptr, "is required but missing");
        if (scalarType && v->type == *scalarType) {
            if (*scalarType == ValueType::F32) return std::vector<double>{std::get<double>(v->scalar)};
            return std::vector<double>{double(std::get<std::uint64_t>(v->scalar))};
        }
        bool ok = v->isArray() && std::find(elemTypes.begin(), elemTypes.end(), v->elemType) != elemTypes.end();
        if (!ok) return fail(key, v, "has GGUF type " + describe(*v) + ", which llama.cpp does not accept here");
        std::vector<double> out(std::size_t(v->count));
        for (std::size_t i = 0; i < out.size(); ++i) {
            const std::byte* p = v->raw.data() + 4 * i;
            if (v->elemType == ValueType::I32) { std::int32_t x; std::memcpy(&x, p, 4); out[i] = x; }
            else if (v->elemType == ValueType::U32) { std::uint32_t x; std::memcpy(&x, p, 4); out[i] = x; }
            else { float x; std::memcpy(&x, p, 4); out[i] = x; }
        }
        return out;
    }

    static std::string describe(const Value& v) {
        if (!v.isArray()) return std::string(valueTypeName(v.type));
        return "array of " + std::string(valueTypeName(v.elemType));
    }

    const GgufFile& file() const { return m_f; }

private:
    const GgufFile& m_f;
};

#define ATELIER_GGUF_GET(var, expr)          \
    auto var##_r = (expr);                   \
    if (!var##_r) return var##_r.error();    \
    const auto var = *var##_r

// One value for every layer, as ModelConfig holds it; per-layer differences are not supported.
Result<double> uniform(const Meta& m, const std::string& key, const std::vector<double>& v) {
    for (double x : v)
        if (x != v.front())
            return m.fail(key, m.file().find(key), "varies per layer, which this engine does not support");
    return v.front();
}

Result<void> readAttention(const Meta& m, ModelConfig& c, std::uint32_t blocks) {
    ATELIER_GGUF_GET(heads, m.numbers(arch("attention.head_count"), {ValueType::U32}, ValueType::U32));
    if (heads.size() != 1 && heads.size() != blocks)
        return m.fail(arch("attention.head_count"), m.file().find(arch("attention.head_count")),
                      "has " + std::to_string(heads.size()) + " entries, expected block_count");
    ATELIER_GGUF_GET(h, uniform(m, arch("attention.head_count"), heads));
    if (h > Meta::kMaxSize)
        return m.fail(arch("attention.head_count"), m.file().find(arch("attention.head_count")), "is too large");
    c.nHeads = int(h);
    ATELIER_GGUF_GET(kvHeads, m.u32(arch("attention.head_count_kv")));
    if (kvHeads != 1)
        return m.fail(arch("attention.head_count_kv"), m.file().find(arch("attention.head_count_kv")),
                      "is " + std::to_string(kvHeads) + "; DeepSeek V4 has one shared K=V head");
    ATELIER_GGUF_GET(keyLen, m.size(arch("attention.key_length")));
    ATELIER_GGUF_GET(valueLen, m.size(arch("attention.value_length")));
    if (keyLen != valueLen)
        return m.fail(arch("attention.value_length"), m.file().find(arch("attention.value_length")),
                      "differs from attention.key_length");
    c.headDim = int(keyLen);
    ATELIER_GGUF_GET(rope, m.size(arch("rope.dimension_count")));
    c.ropeHeadDim = int(rope);
    ATELIER_GGUF_GET(qLora, m.size(arch("attention.q_lora_rank")));
    ATELIER_GGUF_GET(window, m.u32(arch("attention.sliding_window")));
    ATELIER_GGUF_GET(groups, m.size(arch("attention.output_group_count")));
    ATELIER_GGUF_GET(oLora, m.size(arch("attention.output_lora_rank")));
    ATELIER_GGUF_GET(nI, m.size(arch("attention.indexer.head_count")));
    ATELIER_GGUF_GET(cI, m.size(arch("attention.indexer.key_length")));
    ATELIER_GGUF_GET(topk, m.u32(arch("attention.indexer.top_k")));
    c.qLoraRank = int(qLora);
    c.windowSize = int(window);
    c.oGroups = int(groups);
    c.oLoraRank = int(oLora);
    c.indexNHeads = int(nI);
    c.indexHeadDim = int(cI);
    c.indexTopk = int(topk);
    ATELIER_GGUF_GET(ratios, m.numbers(arch("attention.compress_ratios"), {ValueType::I32, ValueType::U32}, {}));
    if (ratios.size() < blocks)
        return m.fail(arch("attention.compress_ratios"), m.file().find(arch("attention.compress_ratios")),
                      "has " + std::to_string(ratios.size()) + " entries, fewer than block_count " +
                          std::to_string(blocks));
    for (double r : ratios)
        if (r != 0 && r != 4 && r != 128)
            return m.fail(arch("attention.compress_ratios"), m.file().find(arch("attention.compress_ratios")),
                          "holds " + std::to_string(std::int64_t(r)) + "; only 0, 4 and 128 exist");
    c.compressRatios.assign(ratios.begin(), ratios.end());
    return {};
}

Result<void> readRope(const Meta& m, ModelConfig& c) {
    ATELIER_GGUF_GET(theta, m.f32(arch("rope.freq_base"), 10000.0f));
    ATELIER_GGUF_GET(ctheta, m.f32(arch("attention.compress_rope_freq_base")));
    ATELIER_GGUF_GET(type, m.str(arch("rope.scaling.type"), std::string("linear")));
    ATELIER_GGUF_GET(factor, m.f32(arch("rope.scaling.factor"), 1.0f));
    ATELIER_GGUF_GET(orig, m.u32(arch("rope.scaling.original_context_length"),
                                 std::uint32_t(c.maxPositionEmbeddings)));
    ATELIER_GGUF_GET(betaFast, m.f32(arch("rope.scaling.yarn_beta_fast"), 32.0f));
    ATELIER_GGUF_GET(betaSlow, m.f32(arch("rope.scaling.yarn_beta_slow"), 1.0f));
    c.ropeTheta = theta;
    c.compressRopeTheta = ctheta;
    c.yarnFactor = type == "yarn" ? double(factor) : 1.0;
    c.yarnOriginalSeqLen = orig;
    c.yarnBetaFast = betaFast;
    c.yarnBetaSlow = betaSlow;
    return {};
}

Result<void> readMoe(const Meta& m, ModelConfig& c, std::uint32_t blocks) {
    ATELIER_GGUF_GET(experts, m.size(arch("expert_count")));
    ATELIER_GGUF_GET(used, m.u32(arch("expert_used_count")));
    ATELIER_GGUF_GET(shared, m.size(arch("expert_shared_count")));
    ATELIER_GGUF_GET(width, m.size(arch("expert_feed_forward_length")));
    ATELIER_GGUF_GET(scale, m.f32(arch("expert_weights_scale")));
    ATELIER_GGUF_GET(norm, m.boolean(arch("expert_weights_norm")));
    ATELIER_GGUF_GET(gating, m.u32(arch("expert_gating_func")));
    ATELIER_GGUF_GET(hash, m.u32(arch("hash_layer_count")));
    ATELIER_GGUF_GET(groups, m.u32(arch("expert_group_count"), 1u));
    if (gating != 4)
        return m.fail(arch("expert_gating_func"), m.file().find(arch("expert_gating_func")),
                      "is " + std::to_string(gating) + "; DeepSeek V4 needs 4 (sqrtsoftplus)");
    if (!norm)
        return m.fail(arch("expert_weights_norm"), m.file().find(arch("expert_weights_norm")),
                      "is false; DeepSeek V4 normalises the top-k weights");
    if (groups > 1)
        return m.fail(arch("expert_group_count"), m.file().find(arch("expert_group_count")),
                      "asks for group-limited routing, which DeepSeek V4 does not have");
    ATELIER_GGUF_GET(clamp, m.numbers(arch("swiglu_clamp_exp"), {ValueType::F32}, ValueType::F32));
    if (clamp.size() != 1 && clamp.size() != blocks)
        return m.fail(arch("swiglu_clamp_exp"), m.file().find(arch("swiglu_clamp_exp")),
                      "has " + std::to_string(clamp.size()) + " entries, expected 1 or block_count");
    ATELIER_GGUF_GET(limit, uniform(m, arch("swiglu_clamp_exp"), clamp));
    if (std::uint64_t(experts) * blocks > (1u << 20))
        return m.fail(arch("expert_count"), m.file().find(arch("expert_count")),
                      "= " + std::to_string(experts) + " over " + std::to_string(blocks) +
                          " blocks is more experts than this engine supports");
    c.nRoutedExperts = int(experts);
    c.nActivatedExperts = int(used);
    c.nSharedExperts = int(shared);
    c.moeInterDim = int(width);
    c.routeScale = scale;
    c.nHashLayers = int(hash);
    c.swigluLimit = float(limit);
    return {};
}

}  // namespace

Result<ModelConfig> configFromGguf(const GgufFile& f) {
    return configFromGguf(f, [&f](std::string_view name) { return f.findTensor(name) != nullptr; });
}

Result<ModelConfig> configFromGguf(const GgufFile& f, const std::function<bool(std::string_view)>& hasTensor) {
    const Meta m(f);
    ATELIER_GGUF_GET(architecture, m.str("general.architecture"));
    if (architecture != kArchitecture)
        return m.fail("general.architecture", f.find("general.architecture"),
                      "is '" + architecture + "', expected 'deepseek4'");
    ModelConfig c;
    ATELIER_GGUF_GET(name, m.str("general.name", c.name));
    c.name = name;
    ATELIER_GGUF_GET(ctx, m.u32(arch("context_length")));
    ATELIER_GGUF_GET(dim, m.size(arch("embedding_length")));
    ATELIER_GGUF_GET(blocks, m.u32(arch("block_count")));
    ATELIER_GGUF_GET(nextn, m.u32(arch("nextn_predict_layers"), 0u));
    if (blocks < 1 || blocks > 512 || nextn >= blocks)
        return m.fail(arch("block_count"), f.find(arch("block_count")),
                      "is " + std::to_string(blocks) + " with " + std::to_string(nextn) +
                          " MTP blocks; expected 1 to 512 blocks with at least one main layer");
    c.maxPositionEmbeddings = ctx;
    c.dim = dim;
    c.nLayers = int(blocks - nextn);
    // llama.cpp only counts MTP blocks that are actually there (doc §2.1).
    const bool mtpPresent = hasTensor("blk." + std::to_string(c.nLayers) + ".nextn.eh_proj.weight");
    c.nMtpLayers = mtpPresent ? int(nextn) : 0;
    ATELIER_TRY_VOID(readAttention(m, c, blocks));
    c.compressRatios.resize(std::size_t(c.nLayers + c.nMtpLayers));
    ATELIER_TRY_VOID(readRope(m, c));
    ATELIER_GGUF_GET(eps, m.f32(arch("attention.layer_norm_rms_epsilon")));
    ATELIER_GGUF_GET(hc, m.size(arch("hyper_connection.count")));
    ATELIER_GGUF_GET(sinkhorn, m.u32(arch("hyper_connection.sinkhorn_iterations")));
    ATELIER_GGUF_GET(hcEps, m.f32(arch("hyper_connection.epsilon")));
    c.normEps = eps;
    c.hcMult = int(hc);
    c.hcSinkhornIters = int(sinkhorn);
    c.hcEps = hcEps;
    ATELIER_TRY_VOID(readMoe(m, c, blocks));

    if (const auto* tokens = f.find("tokenizer.ggml.tokens"); tokens && tokens->isArray())
        c.vocabSize = std::int64_t(tokens->count);
    else if (const auto* embd = f.findTensor("token_embd.weight"); embd && embd->ne.size() == 2)
        c.vocabSize = embd->ne[1];
    ATELIER_GGUF_GET(bos, m.u32("tokenizer.ggml.bos_token_id", 0u));
    ATELIER_GGUF_GET(eos, m.u32("tokenizer.ggml.eos_token_id", 1u));
    c.bosTokenId = bos;
    c.eosTokenId = eos;
    auto valid = c.validate();
    if (!valid) return Error::badInput(f.fileName + ": " + valid.error().message);
    return c;
}

void writeConfig(const ModelConfig& c, int mtpBlocks, GgufBuilder& out) {
    const auto u = [](auto v) { return std::uint32_t(v); };
    const std::uint32_t blocks = u(c.nLayers + mtpBlocks);
    out.addString("general.architecture", kArchitecture);
    out.addString("general.name", c.name);
    out.addU32(arch("context_length"), u(c.maxPositionEmbeddings));
    out.addU32(arch("embedding_length"), u(c.dim));
    out.addU32(arch("embedding_length_out"), u(c.dim * c.hcMult));
    out.addU32(arch("block_count"), blocks);
    out.addU32(arch("nextn_predict_layers"), u(mtpBlocks));
    out.addU32(arch("attention.head_count"), u(c.nHeads));
    out.addU32(arch("attention.head_count_kv"), 1);
    out.addU32(arch("attention.key_length"), u(c.headDim));
    out.addU32(arch("attention.value_length"), u(c.headDim));
    out.addU32(arch("rope.dimension_count"), u(c.ropeHeadDim));
    out.addF32(arch("rope.freq_base"), float(c.ropeTheta));
    out.addF32(arch("attention.compress_rope_freq_base"), float(c.compressRopeTheta));
    out.addString(arch("rope.scaling.type"), "yarn");
    out.addF32(arch("rope.scaling.factor"), float(c.yarnFactor));
    out.addU32(arch("rope.scaling.original_context_length"), u(c.yarnOriginalSeqLen));
    out.addF32(arch("rope.scaling.yarn_beta_fast"), float(c.yarnBetaFast));
    out.addF32(arch("rope.scaling.yarn_beta_slow"), float(c.yarnBetaSlow));
    out.addF32(arch("attention.layer_norm_rms_epsilon"), c.normEps);
    out.addU32(arch("attention.q_lora_rank"), u(c.qLoraRank));
    out.addU32(arch("attention.sliding_window"), u(c.windowSize));
    out.addU32(arch("attention.output_group_count"), u(c.oGroups));
    out.addU32(arch("attention.output_lora_rank"), u(c.oLoraRank));
    out.addI32Array(arch("attention.compress_ratios"), {c.compressRatios.begin(), c.compressRatios.end()});
    out.addU32(arch("attention.indexer.head_count"), u(c.indexNHeads));
    out.addU32(arch("attention.indexer.key_length"), u(c.indexHeadDim));
    out.addU32(arch("attention.indexer.top_k"), u(c.indexTopk));
    out.addU32(arch("hyper_connection.count"), u(c.hcMult));
    out.addU32(arch("hyper_connection.sinkhorn_iterations"), u(c.hcSinkhornIters));
    out.addF32(arch("hyper_connection.epsilon"), c.hcEps);
    out.addU32(arch("expert_count"), u(c.nRoutedExperts));
    out.addU32(arch("expert_used_count"), u(c.nActivatedExperts));
    out.addU32(arch("expert_shared_count"), u(c.nSharedExperts));
    out.addU32(arch("expert_feed_forward_length"), u(c.moeInterDim));
    out.addF32(arch("expert_weights_scale"), c.routeScale);
    out.addBool(arch("expert_weights_norm"), true);
    out.addU32(arch("expert_gating_func"), 4);
    out.addU32(arch("hash_layer_count"), u(c.nHashLayers));
    out.addF32Array(arch("swiglu_clamp_exp"), std::vector<float>(blocks, c.swigluLimit));
    out.addF32Array(arch("swiglu_clamp_shexp"), std::vector<float>(blocks, c.swigluLimit));
}

Result<Vocabulary> vocabularyFromGguf(const GgufFile& f) {
    const Meta m(f);
    ATELIER_GGUF_GET(model, m.str("tokenizer.ggml.model"));
    if (model != "gpt2")
        return m.fail("tokenizer.ggml.model", f.find("tokenizer.ggml.model"),
                      "is '" + model + "'; only byte-level BPE ('gpt2') is supported");
    Vocabulary v;
    ATELIER_GGUF_GET(pre, m.str("tokenizer.ggml.pre", std::string("default")));
    v.preTokenizer = pre;
    ATELIER_GGUF_GET(tokens, m.get("tokenizer.ggml.tokens", ValueType::Array, true));
    ATELIER_GGUF_GET(merges, m.get("tokenizer.ggml.merges", ValueType::Array, true));
    if (tokens->elemType != ValueType::String || tokens->count == 0)
        return m.fail("tokenizer.ggml.tokens", tokens, "must be a non-empty array of strings");
    if (merges->elemType != ValueType::String)
        return m.fail("tokenizer.ggml.merges", merges, "must be an array of strings");
    v.tokens = tokens->strings;
    v.merges = merges->strings;
    v.types.assign(v.tokens.size(), TokenType::Normal);
    ATELIER_GGUF_GET(types, m.get("tokenizer.ggml.token_type", ValueType::Array, false));
    if (types) {
        if (types->elemType != ValueType::I32 || types->count != tokens->count)
            return m.fail("tokenizer.ggml.token_type", types,
                          "must be an i32 array as long as tokenizer.ggml.tokens (" + std::to_string(tokens->count) + ")");
        for (std::size_t i = 0; i < v.types.size(); ++i) {
            std::int32_t t;
            std::memcpy(&t, types->raw.data() + 4 * i, 4);
            v.types[i] = TokenType(t);
        }
    }
    ATELIER_GGUF_GET(bos, m.u32("tokenizer.ggml.bos_token_id", 0u));
    ATELIER_GGUF_GET(eos, m.u32("tokenizer.ggml.eos_token_id", 1u));
    ATELIER_GGUF_GET(pad, m.u32("tokenizer.ggml.padding_token_id", std::uint32_t(eos)));
    for (auto [key, id] : {std::pair{"bos_token_id", bos}, {"eos_token_id", eos}, {"padding_token_id", pad}})
        if (id >= v.tokens.size())
            return m.fail(std::string("tokenizer.ggml.") + key, f.find(std::string("tokenizer.ggml.") + key),
                          "= " + std::to_string(id) + " lies outside the vocabulary");
    v.bosId = bos;
    v.eosId = eos;
    v.padId = pad;
    return v;
}

void writeVocabulary(const Vocabulary& v, GgufBuilder& out) {
    out.addString("tokenizer.ggml.model", "gpt2");
    out.addString("tokenizer.ggml.pre", v.preTokenizer);
    out.addStringArray("tokenizer.ggml.tokens", v.tokens);
    std::vector<std::int32_t> types;
    types.reserve(v.types.size());
    for (auto t : v.types) types.push_back(std::int32_t(t));
    out.addI32Array("tokenizer.ggml.token_type", types);
    out.addStringArray("tokenizer.ggml.merges", v.merges);
    out.addU32("tokenizer.ggml.bos_token_id", std::uint32_t(v.bosId));
    out.addU32("tokenizer.ggml.eos_token_id", std::uint32_t(v.eosId));
    out.addU32("tokenizer.ggml.padding_token_id", std::uint32_t(v.padId));
    out.addBool("tokenizer.ggml.add_bos_token", false);
    out.addBool("tokenizer.ggml.add_eos_token", false);
}

}  // namespace atelier::engine::gguf
