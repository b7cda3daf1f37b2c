#include "model_io/tokenizer_json_vocabulary.h"

#include <string_view>

#include "atelier/engine/tokenizer.h"

namespace atelier::engine {
namespace {

bool looksSpecial(std::string_view s) {
    auto wrapped = [&](std::string_view open, std::string_view close) {
        return s.size() >= open.size() + close.size() && s.starts_with(open) && s.ends_with(close);
    };
    return wrapped("<｜", "｜>") || wrapped("<|", "|>");
}

}  // namespace

Result<Vocabulary> vocabularyForGguf(const std::filesystem::path& tokenizerJson) {
    auto v = readTokenizerJson(tokenizerJson);
    if (!v) return v;
    for (std::size_t i = 0; i < v->tokens.size(); ++i)
        if (v->types[i] == TokenType::UserDefined && looksSpecial(v->tokens[i]))
            v->types[i] = TokenType::Control;
    return v;
}

}  // namespace atelier::engine
