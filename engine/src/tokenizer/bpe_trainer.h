#pragma once
// A small, deterministic byte-level BPE trainer: counts the words of a text (split by the
// DeepSeek V3 pre-tokenizer) and repeatedly merges the most frequent adjacent pair (ties: the
// pair of earlier-created symbols). Used to give the built-in vocabulary real merges.
// Thread-safe: pure functions.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::engine {

struct LearnedMerges {
    std::vector<std::string> merges;     // "left right" in byte-level text, in rank order
    std::vector<std::string> newTokens;  // byte-level text of each new token, in creation order
    std::vector<std::size_t> tokensAfter;  // [merges] how many new tokens exist after merge i
};

// Learns at most `maxNewTokens` tokens; stops early when every word is one token.
LearnedMerges learnBpeMerges(std::string_view text, std::size_t maxNewTokens);

// The built-in English and code training text.
std::string_view builtinTrainingText();

}  // namespace atelier::engine
