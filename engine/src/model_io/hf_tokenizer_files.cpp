#include "model_io/hf_tokenizer_files.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace atelier::engine {
namespace {

using Json = nlohmann::json;

std::string readText(const std::filesystem::path& path, bool& ok) {
    std::ifstream in(path, std::ios::binary);
    ok = bool(in);
    std::ostringstream s;
    if (ok) s << in.rdbuf();
    return s.str();
}

}  // namespace

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
