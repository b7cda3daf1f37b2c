#pragma once
// TokenizerData: everything a Tokenizer holds once loaded. Immutable after build(), shared
// between copies of a Tokenizer. Thread-safe: const (BpeModel guards its own cache).

#include <memory>
#include <string>
#include <vector>

#include "atelier/base/result.h"
#include "atelier/engine/vocabulary.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/pre_tokenizer.h"

namespace atelier::engine {

struct TokenizerSpec {
    Vocabulary vocab;
    std::vector<std::string> splitPatterns;  // PCRE2 syntax, applied in order
    std::vector<bool> literalPatterns;       // HF {"String": ...} splits
    bool ignoreMerges = false;
};

class TokenizerData {
public:
    static Result<std::shared_ptr<const TokenizerData>> build(TokenizerSpec spec);

    Vocabulary vocab;
    std::vector<std::string> decoded;  // [V] the bytes each token stands for
    std::vector<bool> special;         // [V]
    PreTokenizer pre;
    BpeModel bpe;
    AddedTokens added;
};

// Parses a HF tokenizer.json; `origin` names it in errors.
Result<TokenizerSpec> parseTokenizerJson(std::string_view json, const std::string& origin);

}  // namespace atelier::engine
