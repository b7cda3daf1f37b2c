#include "model_io/hf_tokenizer_files.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace atelier::engine {
namespace {

using Json = nlohmann::json;

// DeepSeek V3's pre-tokenizer (also V4's): digits in runs of up to three, CJK runs, then a
// GPT-style split; each piece is then mapped to byte-level text.
Json deepseekPreTokenizer() {
    auto split = [](const char* regex) {
        return Json{{"type", "Split"},
                    {"pattern", {{"Regex", regex}}},
                    {"behavior", "Isolated"},
                    {"invert", false}};
    };
    return Json{
        {"type", "Sequence"},
        {"pretokenizers",
         {split(R"(\p{N}{1,3})"),
          split("[\xe4\xb8\x80-\xe9\xbe\xa5\xe3\x81\x80-\xe3\x82\x9f\xe3\x82\xa0-\xe3\x83\xbf]+"),
          split("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?"
                "[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"),
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
           {"use_regex", false}}}}};
}

std::string readText(const std::filesystem::path& path, bool& ok) {
    std::ifstream in(path, std::ios::binary);
    ok = bool(in);
    std::ostringstream s;
    if (ok) s << in.rdbuf();
    return s.str();
}

}  // namespace

std::string hfTokenizerJson(const Vocabulary& v) {
    Json added = Json::array();
    Json vocab = Json::object();
    for (std::size_t id = 0; id < v.tokens.size(); ++id) {
        vocab[v.tokens[id]] = id;
        const TokenType t = id < v.types.size() ? v.types[id] : TokenType::Normal;
        if (t == TokenType::Normal || t == TokenType::Byte) continue;
        added.push_back({{"id", id}, {"content", v.tokens[id]}, {"single_word", false},
                         {"lstrip", false}, {"rstrip", false}, {"normalized", false},
                         {"special", t != TokenType::UserDefined}});
    }
    Json j;
    j["version"] = "1.0";
    j["truncation"] = nullptr;
    j["padding"] = nullptr;
    j["added_tokens"] = std::move(added);
    j["normalizer"] = {{"type", "Sequence"}, {"normalizers", Json::array()}};
    j["pre_tokenizer"] = deepseekPreTokenizer();
    j["post_processor"] = {{"type", "ByteLevel"}, {"add_prefix_space", true},
                           {"trim_offsets", false}, {"use_regex", true}};
    j["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true},
                    {"use_regex", true}};
    j["model"] = {{"type", "BPE"},           {"dropout", nullptr},
                  {"unk_token", nullptr},     {"continuing_subword_prefix", nullptr},
                  {"end_of_word_suffix", nullptr}, {"fuse_unk", false},
                  {"byte_fallback", false},   {"vocab", std::move(vocab)},
                  {"merges", v.merges}};
    // Invalid UTF-8 cannot occur (token texts are byte-level), but never throw out of here.
    return j.dump(1, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string hfTokenizerConfigJson(const std::string& bos, const std::string& eos,
                                  const std::string& pad, std::int64_t maxLength) {
    auto token = [](const std::string& text) {
        return Json{{"__type", "AddedToken"}, {"content", text}, {"lstrip", false},
                    {"normalized", true},     {"rstrip", false}, {"single_word", false}};
    };
    Json j;
    j["add_bos_token"] = false;
    j["add_eos_token"] = false;
    j["bos_token"] = token(bos);
    j["clean_up_tokenization_spaces"] = false;
    j["eos_token"] = token(eos);
    j["legacy"] = true;
    j["model_max_length"] = maxLength;
    j["pad_token"] = token(pad);
    j["sp_model_kwargs"] = Json::object();
    j["unk_token"] = nullptr;
    j["tokenizer_class"] = "PreTrainedTokenizerFast";
    return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string hfGenerationConfigJson(const ModelConfig& c) {
    Json j;
    j["_from_model_config"] = true;
    j["bos_token_id"] = c.bosTokenId;
    j["eos_token_id"] = c.eosTokenId;
    j["do_sample"] = true;
    j["temperature"] = 1.0;
    j["top_p"] = 1.0;
    return j.dump(2) + "\n";
}

Result<TokenizerFacts> inspectTokenizerJson(const std::filesystem::path& path) {
    bool ok = false;
    const std::string text = readText(path, ok);
    const std::string file = path.string();
    if (!ok) return unexpected(Error::notFound(file + ": cannot open"));
    TokenizerFacts f;
    try {
        const Json j = Json::parse(text);
        const Json& vocab = j.at("model").at("vocab");
        if (!vocab.is_object())
            return unexpected(Error::badInput(file + ": model.vocab is not an object"));
        auto note = [&](const std::string& content, std::int64_t id) {
            if (id < 0 || id > (std::int64_t(1) << 31))
                return false;
            f.vocabSize = std::max(f.vocabSize, id + 1);
            if (content == "<｜begin▁of▁sentence｜>") f.bosId = id, f.bosText = content;
            if (content == "<｜end▁of▁sentence｜>") f.eosId = id, f.eosText = content;
            return true;
        };
        for (const auto& [content, id] : vocab.items())
            if (!note(content, id.get<std::int64_t>()))
                return unexpected(Error::badInput(file + ": token '" + content + "' has id out of range"));
        if (auto a = j.find("added_tokens"); a != j.end())
            for (const auto& t : *a)
                if (!note(t.at("content").get<std::string>(), t.at("id").get<std::int64_t>()))
                    return unexpected(Error::badInput(file + ": added token id out of range"));
    } catch (const Json::exception& e) {
        return unexpected(Error::badInput(file + ": not a usable tokenizer.json: " + e.what()));
    }
    if (f.vocabSize == 0) return unexpected(Error::badInput(file + ": the vocabulary is empty"));
    return f;
}

}  // namespace atelier::engine
