// Reading and writing Hugging Face tokenizer.json (the parts a byte-level BPE uses).
// nlohmann::json throws; every call into it is caught here, at the adapter.

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "atelier/engine/tokenizer.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/tokenizer_data.h"

namespace atelier::engine {
namespace {

using nlohmann::json;

struct ParseFailure {
    std::string message;
};
[[noreturn]] void fail(std::string message) { throw ParseFailure{std::move(message)}; }

bool isNullOr(const json& j, const char* key, const json& fallback) {
    return !j.contains(key) || j[key].is_null() || j[key] == fallback;
}

// Appends the split patterns of one pre_tokenizer node.
void collectPreTokenizer(const json& node, TokenizerSpec& spec) {
    if (node.is_null()) return;
    const std::string type = node.value("type", "");
    if (type == "Sequence") {
        for (const auto& child : node.at("pretokenizers")) collectPreTokenizer(child, spec);
    } else if (type == "Split") {
        if (node.value("behavior", "") != "Isolated" || node.value("invert", false))
            fail("pre_tokenizer Split: only behavior \"Isolated\" without invert is supported");
        const json& pattern = node.at("pattern");
        const bool literal = pattern.contains("String");
        spec.splitPatterns.push_back(pattern.at(literal ? "String" : "Regex").get<std::string>());
        spec.literalPatterns.push_back(literal);
    } else if (type == "ByteLevel") {
        if (node.value("add_prefix_space", false)) fail("pre_tokenizer ByteLevel: add_prefix_space is not supported");
        if (node.value("use_regex", true)) {
            for (const auto& p : PreTokenizer::gpt2Patterns()) {
                spec.splitPatterns.push_back(p);
                spec.literalPatterns.push_back(false);
            }
        }
    } else {
        fail("unsupported pre_tokenizer type \"" + type + "\"");
    }
}

void checkDecoder(const json& node) {
    if (node.is_null()) return;
    const std::string type = node.value("type", "");
    if (type == "Sequence") {
        for (const auto& child : node.at("decoders")) checkDecoder(child);
    } else if (type != "ByteLevel") {
        fail("unsupported decoder type \"" + type + "\"");
    }
}

void checkModel(const json& model) {
    if (model.value("type", "BPE") != "BPE") fail("unsupported model type \"" + model.value("type", "") + "\"");
    if (!isNullOr(model, "byte_fallback", false)) fail("model.byte_fallback is not supported");
    if (!isNullOr(model, "continuing_subword_prefix", "") || !isNullOr(model, "end_of_word_suffix", ""))
        fail("model.continuing_subword_prefix / end_of_word_suffix are not supported");
    if (!isNullOr(model, "dropout", 0.0) && !isNullOr(model, "dropout", 0)) fail("model.dropout is not supported");
}

void setToken(Vocabulary& v, std::int64_t id, const std::string& text, TokenType type) {
    if (id < 0 || id > (std::int64_t(1) << 24)) fail("token id " + std::to_string(id) + " is out of range");
    if (std::size_t(id) >= v.tokens.size()) {
        v.tokens.resize(std::size_t(id) + 1);
        v.types.resize(std::size_t(id) + 1, TokenType::Unknown);
    }
    auto& slot = v.tokens[std::size_t(id)];
    if (v.types[std::size_t(id)] != TokenType::Unknown && slot != text)
        fail("token id " + std::to_string(id) + " is both \"" + slot + "\" and \"" + text + "\"");
    slot = text;
    v.types[std::size_t(id)] = type;
}

std::int64_t idOf(const Vocabulary& v, const std::string& text, std::int64_t fallback) {
    for (std::size_t i = 0; i < v.tokens.size(); ++i)
        if (v.tokens[i] == text) return std::int64_t(i);
    return fallback;
}

// model.vocab and model.merges (most of a real file) are taken out while parsing instead of
// being stored in the DOM: std::map insertions of 128K keys dominated the load time.
struct StreamedTables {
    std::vector<std::pair<std::string, std::int64_t>> vocab;
    std::vector<std::string> merges;
    std::vector<std::string> path;  // object keys from the root to the current value
    bool sawVocab = false, sawMerges = false;

    bool in(const char* table, int depth) const {
        return depth == 3 && path.size() >= 2 && path[0] == "model" && path[1] == table;
    }
    // nlohmann::json's parser callback: returns false to leave an element out of the DOM.
    bool onEvent(int depth, json::parse_event_t event, json& parsed) {
        using E = json::parse_event_t;
        if (event == E::key) {
            path.resize(std::size_t(std::max(depth - 1, 0)));
            path.push_back(parsed.get<std::string>());
            return !in("vocab", depth);  // no DOM entry; the value event still comes
        }
        if (event == E::value && in("vocab", depth)) {
            if (!parsed.is_number_integer()) fail("model.vocab[\"" + path.back() + "\"] is not an integer id");
            vocab.emplace_back(path.back(), parsed.get<std::int64_t>());
            sawVocab = true;
            return false;
        }
        const bool mergeEntry = (event == E::value && parsed.is_string()) ||
                                (event == E::array_end && parsed.is_array() && parsed.size() == 2);
        if (mergeEntry && in("merges", depth)) {
            merges.push_back(parsed.is_string() ? parsed.get<std::string>()
                                                : parsed[0].get<std::string>() + " " + parsed[1].get<std::string>());
            sawMerges = true;
            return false;
        }
        return true;
    }
};

TokenizerSpec parseSpec(const json& root, StreamedTables& tables) {
    TokenizerSpec spec;
    const json& model = root.at("model");
    checkModel(model);
    const json& normalizer = root.value("normalizer", json());
    if (!normalizer.is_null() && !(normalizer.value("type", "") == "Sequence" && normalizer.at("normalizers").empty()))
        fail("normalizers are not supported");
    spec.ignoreMerges = model.value("ignore_merges", false);
    Vocabulary& v = spec.vocab;
    if (!model.contains("vocab") || !model.contains("merges")) fail("model.vocab or model.merges is missing");
    if (!model["vocab"].empty() || !model["merges"].empty())
        fail("model.merges: an entry is neither \"a b\" nor [\"a\", \"b\"]");  // what the parser left
    for (auto& [text, id] : tables.vocab)
        setToken(v, id, text, byteLevelDecode(text) ? TokenType::Normal : TokenType::Unused);
    v.merges = std::move(tables.merges);
    for (const auto& t : root.value("added_tokens", json::array())) {
        const bool special = t.value("special", false);
        setToken(v, t.at("id").get<std::int64_t>(), t.at("content").get<std::string>(),
                 special ? TokenType::Control : TokenType::UserDefined);
    }
    for (std::size_t id = 0; id < v.tokens.size(); ++id) {
        if (v.types[id] != TokenType::Unknown) continue;
        v.tokens[id] = "[PAD" + std::to_string(id) + "]";  // a hole in the id range
        v.types[id] = TokenType::Unused;
    }
    collectPreTokenizer(root.value("pre_tokenizer", json()), spec);
    checkDecoder(root.value("decoder", json()));
    if (spec.splitPatterns == PreTokenizer::deepseekV3Patterns()) v.preTokenizer = "deepseek-v3";
    else if (spec.splitPatterns == PreTokenizer::gpt2Patterns()) v.preTokenizer = "gpt2";
    else v.preTokenizer = "custom";
    v.bosId = idOf(v, "<｜begin▁of▁sentence｜>", 0);
    v.eosId = idOf(v, "<｜end▁of▁sentence｜>", 1);
    v.padId = idOf(v, "<｜▁pad▁｜>", v.eosId);
    return spec;
}

}  // namespace

Result<TokenizerSpec> parseTokenizerJson(std::string_view text, const std::string& origin) {
    try {
        StreamedTables tables;
        const json root = json::parse(text, [&tables](int depth, json::parse_event_t event, json& parsed) {
            return tables.onEvent(depth, event, parsed);
        });
        return parseSpec(root, tables);
    } catch (const json::parse_error& e) {
        return unexpected(Error::badInput(origin + ": not JSON at byte " + std::to_string(e.byte)));
    } catch (const json::exception& e) {
        return unexpected(Error::badInput(origin + ": " + e.what()));
    } catch (const ParseFailure& e) {
        return unexpected(Error::badInput(origin + ": " + e.message));
    }
}

Result<Vocabulary> readTokenizerJson(const std::filesystem::path& tokenizerJson) {
    std::ifstream in(tokenizerJson, std::ios::binary);
    if (!in) return unexpected(Error::notFound(tokenizerJson.string() + ": cannot open"));
    std::ostringstream text;
    text << in.rdbuf();
    auto spec = parseTokenizerJson(text.str(), tokenizerJson.string());
    if (!spec) return unexpected(spec.error());
    return std::move(spec->vocab);
}

namespace {

nlohmann::json preTokenizerJson(const std::string& name) {
    using oj = nlohmann::json;  // sorted keys: ordered_json inserts in O(n)
    oj byteLevel = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
                    {"use_regex", name == "gpt2"}};
    if (name == "gpt2") return byteLevel;
    oj seq = oj::array();
    for (const auto& p : PreTokenizer::deepseekV3Patterns())
        seq.push_back({{"type", "Split"}, {"pattern", {{"Regex", p}}}, {"behavior", "Isolated"}, {"invert", false}});
    seq.push_back(byteLevel);
    return {{"type", "Sequence"}, {"pretokenizers", seq}};
}

}  // namespace

std::string toTokenizerJson(const Vocabulary& vocab) {
    using oj = nlohmann::json;  // sorted keys: ordered_json inserts in O(n)
    oj added = oj::array();
    oj vocabJson = oj::object();
    for (std::size_t id = 0; id < vocab.tokens.size(); ++id) {
        const TokenType type = id < vocab.types.size() ? vocab.types[id] : TokenType::Normal;
        if (type == TokenType::Control || type == TokenType::UserDefined) {
            added.push_back({{"id", id}, {"content", vocab.tokens[id]}, {"single_word", false}, {"lstrip", false},
                             {"rstrip", false}, {"normalized", type != TokenType::Control},
                             {"special", type == TokenType::Control}});
        } else {
            vocabJson[vocab.tokens[id]] = id;
        }
    }
    oj root;
    root["version"] = "1.0";
    root["truncation"] = nullptr;
    root["padding"] = nullptr;
    root["added_tokens"] = added;
    root["normalizer"] = {{"type", "Sequence"}, {"normalizers", oj::array()}};
    root["pre_tokenizer"] = preTokenizerJson(vocab.preTokenizer);
    root["post_processor"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false},
                              {"use_regex", true}};
    root["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
    root["model"] = {{"type", "BPE"},          {"dropout", nullptr},
                     {"unk_token", nullptr},   {"continuing_subword_prefix", nullptr},
                     {"end_of_word_suffix", nullptr}, {"fuse_unk", false},
                     {"byte_fallback", false}, {"ignore_merges", false},
                     {"vocab", vocabJson},     {"merges", vocab.merges}};
    return root.dump(1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace atelier::engine
