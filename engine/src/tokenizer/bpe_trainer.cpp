#include "tokenizer/bpe_trainer.h"

#include <cstdint>
#include <map>
#include <unordered_map>

#include "tokenizer/byte_level.h"
#include "tokenizer/pre_tokenizer.h"

namespace atelier::engine {
namespace {

struct Word {
    std::vector<int> symbols;  // symbol ids: 0..255 bytes, then learned tokens
    std::int64_t count = 0;
};

using PairCounts = std::unordered_map<std::uint64_t, std::int64_t>;

std::uint64_t key(int a, int b) { return (std::uint64_t(std::uint32_t(a)) << 32) | std::uint32_t(b); }

void countPairs(const Word& w, std::int64_t sign, PairCounts& counts) {
    for (std::size_t i = 0; i + 1 < w.symbols.size(); ++i) {
        auto& c = counts[key(w.symbols[i], w.symbols[i + 1])];
        c += sign * w.count;
    }
}

bool containsPair(const Word& w, int a, int b) {
    for (std::size_t i = 0; i + 1 < w.symbols.size(); ++i)
        if (w.symbols[i] == a && w.symbols[i + 1] == b) return true;
    return false;
}

void mergeInWord(Word& w, int a, int b, int merged) {
    std::vector<int> out;
    out.reserve(w.symbols.size());
    for (std::size_t i = 0; i < w.symbols.size(); ++i) {
        if (i + 1 < w.symbols.size() && w.symbols[i] == a && w.symbols[i + 1] == b) {
            out.push_back(merged);
            ++i;
        } else {
            out.push_back(w.symbols[i]);
        }
    }
    w.symbols = std::move(out);
}

std::vector<Word> countWords(std::string_view text) {
    auto pre = PreTokenizer::create(PreTokenizer::deepseekV3Patterns());
    std::vector<std::string_view> pieces;
    if (pre) pre->split(text, pieces);
    std::map<std::string_view, std::int64_t> counts;  // ordered: a deterministic word order
    for (auto p : pieces) ++counts[p];
    std::vector<Word> words;
    for (const auto& [piece, n] : counts) {
        Word w;
        for (unsigned char c : piece) w.symbols.push_back(c);
        w.count = n;
        words.push_back(std::move(w));
    }
    return words;
}

}  // namespace

LearnedMerges learnBpeMerges(std::string_view text, std::size_t maxNewTokens) {
    std::vector<Word> words = countWords(text);
    std::vector<std::string> symbolBytes;  // raw bytes of each symbol
    for (int b = 0; b < 256; ++b) symbolBytes.emplace_back(1, char(b));
    std::unordered_map<std::string, int> symbolOf;
    for (int b = 0; b < 256; ++b) symbolOf.emplace(symbolBytes[std::size_t(b)], b);
    PairCounts counts;
    for (const auto& w : words) countPairs(w, 1, counts);

    LearnedMerges learned;
    while (learned.newTokens.size() < maxNewTokens) {
        std::uint64_t best = 0;
        std::int64_t bestCount = 0;
        for (const auto& [k, c] : counts)
            if (c > bestCount || (c == bestCount && k < best)) best = k, bestCount = c;
        if (bestCount < 1) break;  // every word is a single token
        const int a = int(best >> 32), b = int(std::uint32_t(best));
        const std::string mergedBytes = symbolBytes[std::size_t(a)] + symbolBytes[std::size_t(b)];
        auto [it, isNew] = symbolOf.emplace(mergedBytes, int(symbolBytes.size()));
        if (isNew) {
            symbolBytes.push_back(mergedBytes);
            learned.newTokens.push_back(byteLevelEncode(mergedBytes));
        }
        learned.merges.push_back(byteLevelEncode(symbolBytes[std::size_t(a)]) + " " +
                                 byteLevelEncode(symbolBytes[std::size_t(b)]));
        learned.tokensAfter.push_back(learned.newTokens.size());
        for (auto& w : words) {
            if (!containsPair(w, a, b)) continue;
            countPairs(w, -1, counts);
            mergeInWord(w, a, b, it->second);
            countPairs(w, 1, counts);
        }
        for (auto c = counts.begin(); c != counts.end();) c = c->second == 0 ? counts.erase(c) : std::next(c);
    }
    return learned;
}

}  // namespace atelier::engine
