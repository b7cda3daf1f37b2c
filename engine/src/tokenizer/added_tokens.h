#pragma once
// AddedTokens: the tokens matched as whole strings before pre-tokenization (HF added_tokens).
// At each position the longest token that matches wins (leftmost-longest, as HF's
// Aho-Corasick splitter). Special tokens take part only when asked for.
// Thread-safe: const after construction.

#include <array>
#include <string>
#include <string_view>
#include <utility>
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
    // A byte trie: matching at a position walks as far as the text allows and keeps the last
    // (longest) token end it passed, in O(length of the match).
    struct Node {
        std::vector<std::pair<unsigned char, int>> children;  // sorted by byte
        TokenId id = -1;                                       // a token ends here
        bool special = false;
    };
    int child(int node, unsigned char byte) const;
    std::vector<Node> m_nodes{Node{}};  // [0] is the root
    std::array<bool, 256> m_starts{};   // whether some token starts with this byte
};

}  // namespace atelier::engine
