#pragma once
// AddedTokens: the tokens matched as whole strings before pre-tokenization (HF added_tokens).
// At each position the longest token that matches wins (leftmost-longest, as HF's
// Aho-Corasick splitter). Special tokens take part only when asked for.
// Thread-safe: const after construction.

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/engine/tokenizer.h"

namespace atelier::engine {

class AddedTokens {
public:
    struct Segment {
        std::string_view text;
        TokenId id = -1;  // -1: ordinary text, to be pre-tokenized
    };

    void add(std::string text, TokenId id, bool special);

    // Cuts `text` into ordinary text and matched tokens, in order.
    void split(std::string_view text, bool withSpecial, std::vector<Segment>& out) const;

private:
    struct Entry {
        std::string text;
        TokenId id;
        bool special;
    };
    std::array<std::vector<Entry>, 256> m_byFirstByte;  // each sorted longest first
};

}  // namespace atelier::engine
