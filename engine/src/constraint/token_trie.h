#pragma once
// TokenTrie: the vocabulary's token byte strings as a trie, so that a mask is computed by one
// walk that feeds each shared prefix to the grammar once and prunes a whole subtree the moment
// its prefix is rejected. Special (control) and unused tokens are listed apart: the grammar
// treats them differently. Built once per tokenizer and shared (forTokenizer caches it);
// immutable, any thread.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "atelier/engine/tokenizer.h"

namespace atelier::engine::constraint {

class TokenTrie {
public:
    struct Node {
        std::uint32_t firstChild = 0, childCount = 0;  // children are contiguous in m_nodes
        std::uint32_t firstToken = 0, tokenCount = 0;  // tokens whose bytes end here
        std::uint8_t byte = 0;                         // the edge into this node
    };

    explicit TokenTrie(const Tokenizer& tokenizer);
    // The shared trie of a tokenizer's vocabulary (built on first use).
    static std::shared_ptr<const TokenTrie> forTokenizer(const Tokenizer& tokenizer);

    const Tokenizer& tokenizer() const { return m_tokenizer; }
    struct Trie {
        std::vector<Node> nodes;           // [0] is the root
        std::vector<std::int32_t> tokens;  // Node::firstToken indexes this
        std::size_t maxDepth = 0;          // longest token, in bytes
        // [first, last) of `tokens`: the tokens whose first byte is `b` (sorted, so contiguous).
        std::pair<std::size_t, std::size_t> startingWith(std::uint8_t b) const {
            const Node& root = nodes[0];
            for (std::uint32_t c = root.firstChild; c < root.firstChild + root.childCount; ++c)
                if (nodes[c].byte == b)
                    return {nodes[c].firstToken, c + 1 < root.firstChild + root.childCount
                                                     ? nodes[c + 1].firstToken
                                                     : tokens.size()};
            return {0, 0};
        }
    };
    const Trie& all() const { return m_all; }
    const Trie& exits() const { return m_exits; }  // tokens containing '"' or '<' 
    const std::vector<std::int32_t>& specialTokens() const { return m_special; }  // control
    const std::vector<std::int32_t>& unusedTokens() const { return m_unused; }
    const std::vector<std::int32_t>& emptyTokens() const { return m_empty; }      // no bytes
    std::size_t maxTokenBytes() const { return m_maxTokenBytes; }  // any token
    std::int64_t vocabSize() const { return m_vocabSize; }

private:
    Tokenizer m_tokenizer;  // keeps the vocabulary alive (forTokenizer keys on its address)
    Trie m_all, m_exits;
    std::vector<std::int32_t> m_special, m_unused, m_empty;
    std::size_t m_maxTokenBytes = 0;
    std::int64_t m_vocabSize = 0;
};

}  // namespace atelier::engine::constraint
