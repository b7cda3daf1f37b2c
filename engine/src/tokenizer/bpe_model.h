#pragma once
// BpeModel: byte-level BPE over token ids. A word (one pre-tokenized piece, raw bytes) starts as
// its byte tokens; the adjacent pair with the lowest merge rank is merged (leftmost first on
// ties) until no pair has a merge, as Hugging Face tokenizers' BPE does. Results for short words
// are cached. Thread-safe: encodeWord() is const; the cache is guarded by its own mutex.

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "atelier/base/result.h"
#include "atelier/engine/tokenizer.h"
#include "atelier/engine/vocabulary.h"

namespace atelier::engine {

class BpeModel {
public:
    // Token texts are GPT-2 byte-level text; merges "left right" in rank order. With
    // `ignoreMerges` a word that is itself a token is emitted whole (HF `ignore_merges`).
    static Result<BpeModel> create(const Vocabulary& vocab, bool ignoreMerges);

    // Appends the ids of one word (raw bytes).
    void encodeWord(std::string_view word, std::vector<TokenId>& out) const;

    std::optional<TokenId> find(std::string_view tokenText) const;

private:
    // Looks words up by string_view without building a std::string on a hit.
    struct WordHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    struct Cache {
        std::mutex mutex;
        std::unordered_map<std::string, std::vector<TokenId>, WordHash, std::equal_to<>> words;  // guarded by mutex
    };
    void merge(std::string_view word, std::vector<TokenId>& out) const;

    std::unordered_map<std::string, TokenId> m_textToId;
    std::array<TokenId, 256> m_byteId{};  // -1: the vocabulary lacks that byte
    // (left << 32 | right) -> (rank << 32 | merged id)
    std::unordered_map<std::uint64_t, std::uint64_t> m_merges;
    bool m_ignoreMerges = false;
    std::shared_ptr<Cache> m_cache = std::make_shared<Cache>();
};

}  // namespace atelier::engine
