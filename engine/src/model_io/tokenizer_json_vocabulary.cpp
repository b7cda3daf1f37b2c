#include "tokenizer_json_vocabulary.h"

#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

namespace atelier::engine {
namespace {

constexpr std::int64_t kMaxVocab = std::int64_t(1) << 24;

bool looksSpecial(const std::string& s) {
    auto wrapped = [&](std::string_view open, std::string_view close) {
        return s.size() >= open.size() + close.size() && s.starts_with(open) && s.ends_with(close);
    };
    return wrapped("<｜", "｜>") || wrapped("<|", "|>");
}

std::string mergeText(const nlohmann::json& m) {
    if (m.is_string()) return m.get<std::string>();
    if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string())
        return m[0].get<std::string>() + " " + m[1].get<std::string>();
    throw std::runtime_error("a merge is neither \"a b\" nor [\"a\", \"b\"]");
}

// id -> (text, type); throws on malformed JSON (caught by the caller).
Vocabulary build(const nlohmann::json& j) {
    const auto& model = j.at("model");
    if (model.value("type", std::string("BPE")) != "BPE") throw std::runtime_error("model.type is not BPE");
    std::map<std::int64_t, std::pair<std::string, TokenType>> byId;
    for (const auto& [text, id] : model.at("vocab").items()) byId[id.get<std::int64_t>()] = {text, TokenType::Normal};
    if (j.contains("added_tokens"))
        for (const auto& t : j.at("added_tokens")) {
            const auto content = t.at("content").get<std::string>();
            const bool special = t.value("special", false) || looksSpecial(content);
            byId[t.at("id").get<std::int64_t>()] = {content, special ? TokenType::Control : TokenType::UserDefined};
        }
    if (byId.empty()) throw std::runtime_error("the vocabulary is empty");
    if (byId.begin()->first < 0 || byId.rbegin()->first >= kMaxVocab) throw std::runtime_error("a token id is out of range");
    Vocabulary v;
    const std::int64_t n = byId.rbegin()->first + 1;
    for (std::int64_t id = 0; id < n; ++id) {
        auto it = byId.find(id);
        v.tokens.push_back(it != byId.end() ? it->second.first : "[PAD" + std::to_string(id) + "]");
        v.types.push_back(it != byId.end() ? it->second.second : TokenType::Unused);
    }
    for (const auto& m : model.at("merges")) v.merges.push_back(mergeText(m));
    auto idOf = [&](const char* text, std::int64_t fallback) {
        for (const auto& [id, entry] : byId)
            if (entry.first == text) return id;
        return fallback;
    };
    v.bosId = idOf("<｜begin▁of▁sentence｜>", 0);
    v.eosId = idOf("<｜end▁of▁sentence｜>", std::min<std::int64_t>(1, n - 1));
    v.padId = idOf("<｜▁pad▁｜>", v.eosId);
    return v;
}

}  // namespace

Result<Vocabulary> vocabularyFromTokenizerJson(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error::notFound(path.string() + ": cannot open");
    try {
        const auto j = nlohmann::json::parse(in);
        return build(j);
    } catch (const nlohmann::json::parse_error& e) {
        return Error::badInput(path.string() + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
    } catch (const std::exception& e) {
        return Error::badInput(path.string() + ": not a byte-level BPE tokenizer.json: " + e.what());
    }
}

}  // namespace atelier::engine
