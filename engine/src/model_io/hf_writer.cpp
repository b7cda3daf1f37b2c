#include "model_io/hf_writer.h"

#include "atelier/engine/tokenizer.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "atelier/engine/vocabulary.h"
#include "atelier/engine/weight_source.h"
#include "model_io/hf_config.h"
#include "model_io/hf_tokenizer_files.h"
#include "model_io/safetensors_writer.h"
#include "model_io/weight_encode.h"

namespace atelier::engine {
namespace fs = std::filesystem;

namespace {

Result<void> writeText(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), std::streamsize(text.size()));
    out.close();
    if (!out) return unexpected(Error::io(path.string() + ": write failed"));
    return {};
}

// One planned tensor per stored entry; `spec` and `isScale` say how to produce it.
struct StoredEntry {
    PlannedTensor planned;
    std::size_t spec = 0;
    bool isScale = false;
};

std::vector<StoredEntry> planEntries(const std::vector<TensorSpec>& specs, WeightScheme scheme) {
    std::vector<StoredEntry> out;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const auto& s = specs[i];
        out.push_back({{s.name, storedDType(s.role, scheme), storedShape(s, scheme)}, i, false});
        if (hasScaleCompanion(s.role, scheme))
            out.push_back({{scaleName(s.name), DType::F8_E8M0, scaleShape(s)}, i, true});
    }
    return out;
}

// Generates one spec's values and encodes them in its stored dtype; the scale companion, when
// the scheme has one, comes back in `scale`.
std::vector<std::byte> encodeSpec(const ModelConfig& c, const TensorSpec& s, WeightScheme scheme,
                                  std::uint64_t seed, std::vector<std::byte>& scale) {
    const std::int64_t n = elementCount(s.shape);
    if (s.role == TensorRole::Tid2Eid) {
        std::vector<std::byte> ids(static_cast<std::size_t>(n) * 8);
        fillRandomTensor(c, s, seed, ids.data());
        return ids;
    }
    std::vector<float> values(static_cast<std::size_t>(n));  // [shape] f32
    fillRandomTensor(c, s, seed, reinterpret_cast<std::byte*>(values.data()));
    const DType dt = storedDType(s.role, scheme);
    std::vector<std::byte> out;
    switch (dt) {
    case DType::F32:
        out.resize(std::size_t(n) * 4);
        std::memcpy(out.data(), values.data(), out.size());
        break;
    case DType::BF16:
        out.resize(std::size_t(n) * 2);
        encodeBf16(values, out);
        break;
    case DType::F8_E4M3:
        out.resize(std::size_t(n));
        scale.resize(std::size_t(elementCount(scaleShape(s))));
        encodeFp8Blocks(values, s.shape[0], s.shape[1], out, scale);
        break;
    case DType::E2M1x2:
        out.resize(std::size_t(n / 2));
        scale.resize(std::size_t(elementCount(scaleShape(s))));
        encodeFp4Rows(values, s.shape[0], s.shape[1], out, scale);
        break;
    default: break;
    }
    return out;
}

// Splits the entries into shards of at most `limit` bytes (a weight and its scale together;
// a tensor larger than the limit gets a shard of its own).
std::vector<std::vector<StoredEntry>> shard(const std::vector<StoredEntry>& entries,
                                            std::uint64_t limit) {
    std::vector<std::vector<StoredEntry>> shards(1);
    std::uint64_t bytes = 0;
    for (const auto& e : entries) {
        const std::uint64_t n = e.planned.nbytes();
        if (!e.isScale && bytes > 0 && bytes + n > limit) {
            shards.emplace_back();
            bytes = 0;
        }
        shards.back().push_back(e);
        bytes += n;
    }
    return shards;
}

std::string shardName(std::size_t i, std::size_t count) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i + 1, count);
    return buf;
}

// The shards' plans and model.safetensors.index.json's text.
struct ShardPlan {
    std::vector<std::vector<StoredEntry>> shards;
    std::string indexText;
};

ShardPlan planShards(const CreateModelOptions& o, const std::vector<TensorSpec>& specs, std::uint64_t shardBytes) {
    ShardPlan p;
    p.shards = shard(planEntries(specs, o.scheme), shardBytes);
    nlohmann::ordered_json weightMap = nlohmann::ordered_json::object();
    std::uint64_t total = 0;
    for (std::size_t si = 0; si < p.shards.size(); ++si)
        for (const auto& e : p.shards[si]) {
            weightMap[e.planned.name] = shardName(si, p.shards.size());
            total += e.planned.nbytes();
        }
    nlohmann::ordered_json index;
    index["metadata"] = {{"total_size", total}};
    index["weight_map"] = std::move(weightMap);
    p.indexText = index.dump(2) + "\n";
    return p;
}

std::vector<PlannedTensor> plannedTensors(const std::vector<StoredEntry>& entries) {
    std::vector<PlannedTensor> plan;
    for (const auto& e : entries) plan.push_back(e.planned);
    return plan;
}

Result<void> writeWeights(const CreateModelOptions& o, const ModelConfig& c, const fs::path& folder,
                          std::uint64_t shardBytes) {
    const auto specs = expectedTensors(c);
    const ShardPlan p = planShards(o, specs, shardBytes);
    for (std::size_t si = 0; si < p.shards.size(); ++si) {
        const auto& entries = p.shards[si];
        std::vector<std::byte> pendingScale;  // the scale of the weight just written
        auto produce = [&](std::size_t i) -> Result<std::vector<std::byte>> {
            const StoredEntry& e = entries[i];
            if (e.isScale) return std::move(pendingScale);
            pendingScale.clear();
            return encodeSpec(c, specs[e.spec], o.scheme, o.seed, pendingScale);
        };
        ATELIER_TRY_VOID(writeSafetensorsFile(folder / shardName(si, p.shards.size()), plannedTensors(entries), produce));
    }
    return writeText(folder / "model.safetensors.index.json", p.indexText);
}

// The tokenizer files: tokenizer.json's text (or the file to copy) and tokenizer_config.json's.
struct TokenizerFiles {
    std::string tokenizerText;
    fs::path copyFrom;
    std::string configText;
};

// The tokenizer files; with a given tokenizer.json the config's vocabulary and BOS/EOS follow it.
Result<TokenizerFiles> tokenizerFiles(const CreateModelOptions& o, ModelConfig& c) {
    TokenizerFiles f;
    std::string bos = "<｜begin▁of▁sentence｜>", eos = "<｜end▁of▁sentence｜>";
    if (o.tokenizerJson.empty()) {
        if (c.vocabSize < 512)
            return unexpected(Error::usage("the built-in vocabulary needs vocab_size >= 512"));
        const Vocabulary v = builtinVocabulary(c.vocabSize);
        c.bosTokenId = v.bosId;
        c.eosTokenId = v.eosId;
        f.tokenizerText = toTokenizerJson(v);
        f.configText = hfTokenizerConfigJson(v.tokens[std::size_t(v.bosId)], v.tokens[std::size_t(v.eosId)],
                                             v.tokens[std::size_t(v.eosId)], c.maxPositionEmbeddings);
        return f;
    }
    auto facts = inspectTokenizerJson(o.tokenizerJson);
    if (!facts) return unexpected(std::move(facts.error()));
    c.vocabSize = facts->vocabSize;
    if (facts->bosId >= 0) c.bosTokenId = facts->bosId;
    if (facts->eosId >= 0) c.eosTokenId = facts->eosId;
    f.copyFrom = o.tokenizerJson;
    f.configText = hfTokenizerConfigJson(bos, eos, eos, c.maxPositionEmbeddings);
    return f;
}

Result<void> writeTokenizer(const TokenizerFiles& f, const fs::path& folder) {
    if (f.copyFrom.empty()) {
        ATELIER_TRY_VOID(writeText(folder / "tokenizer.json", f.tokenizerText));
    } else {
        std::error_code ec;
        fs::copy_file(f.copyFrom, folder / "tokenizer.json", ec);
        if (ec) return unexpected(Error::io(f.copyFrom.string() + ": cannot copy: " + ec.message()));
    }
    return writeText(folder / "tokenizer_config.json", f.configText);
}

}  // namespace

std::string scaleName(const std::string& weightName) {
    const std::string suffix = ".weight";
    if (weightName.size() > suffix.size() &&
        weightName.compare(weightName.size() - suffix.size(), suffix.size(), suffix) == 0)
        return weightName.substr(0, weightName.size() - suffix.size()) + ".scale";
    return weightName + ".scale";
}

Result<void> writeHfModel(const CreateModelOptions& o, const fs::path& folder,
                          std::uint64_t shardBytes) {
    ModelConfig c = o.config;
    auto tokenizer = tokenizerFiles(o, c);
    if (!tokenizer) return unexpected(std::move(tokenizer.error()));
    ATELIER_TRY_VOID(writeTokenizer(*tokenizer, folder));
    ATELIER_TRY_VOID(c.validate());
    ATELIER_TRY_VOID(writeText(folder / "config.json", hfConfigJson(c, o.scheme)));
    ATELIER_TRY_VOID(writeText(folder / "generation_config.json", hfGenerationConfigJson(c)));
    return writeWeights(o, c, folder, shardBytes);
}

Result<std::uint64_t> hfModelBytes(const CreateModelOptions& o, std::uint64_t shardBytes) {
    ModelConfig c = o.config;
    auto tokenizer = tokenizerFiles(o, c);
    if (!tokenizer) return unexpected(std::move(tokenizer.error()));
    ATELIER_TRY_VOID(c.validate());
    std::uint64_t bytes = tokenizer->configText.size() + hfConfigJson(c, o.scheme).size() +
                          hfGenerationConfigJson(c).size();
    if (tokenizer->copyFrom.empty()) {
        bytes += tokenizer->tokenizerText.size();
    } else {
        std::error_code ec;
        const auto size = fs::file_size(tokenizer->copyFrom, ec);
        if (ec) return unexpected(Error::io(tokenizer->copyFrom.string() + ": " + ec.message()));
        bytes += size;
    }
    const ShardPlan p = planShards(o, expectedTensors(c), shardBytes);
    for (const auto& entries : p.shards) bytes += safetensorsFileBytes(plannedTensors(entries));
    return bytes + p.indexText.size();
}

}  // namespace atelier::engine
