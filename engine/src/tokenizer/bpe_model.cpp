#include "tokenizer/bpe_model.h"

#include <queue>

#include "tokenizer/byte_level.h"

namespace atelier::engine {
namespace {

constexpr std::size_t kMaxCachedWordBytes = 64;
constexpr std::size_t kMaxCachedWords = 1u << 18;

std::uint64_t pairKey(TokenId left, TokenId right) {
    return (std::uint64_t(std::uint32_t(left)) << 32) | std::uint32_t(right);
}

}  // namespace

Result<BpeModel> BpeModel::create(const Vocabulary& vocab, bool ignoreMerges) {
    BpeModel m;
    m.m_ignoreMerges = ignoreMerges;
    m.m_textToId.reserve(vocab.tokens.size());
    for (std::size_t id = 0; id < vocab.tokens.size(); ++id)
        m.m_textToId.emplace(vocab.tokens[id], TokenId(id));  // the first id wins on duplicates
    for (int b = 0; b < 256; ++b) {
        auto it = m.m_textToId.find(byteToUnicode(std::uint8_t(b)));
        m.m_byteId[std::size_t(b)] = it == m.m_textToId.end() ? -1 : it->second;
    }
    m.m_merges.reserve(vocab.merges.size());
    for (std::size_t rank = 0; rank < vocab.merges.size(); ++rank) {
        const std::string& line = vocab.merges[rank];
        const auto space = line.find(' ');
        auto fail = [&](const std::string& why) {
            return unexpected(Error::badInput("merge " + std::to_string(rank) + " (\"" + line + "\"): " + why));
        };
        if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
            return fail("expected two tokens separated by one space");
        const std::string left = line.substr(0, space), right = line.substr(space + 1);
        auto l = m.m_textToId.find(left), r = m.m_textToId.find(right), merged = m.m_textToId.find(left + right);
        if (l == m.m_textToId.end() || r == m.m_textToId.end()) return fail("a token is not in the vocabulary");
        if (merged == m.m_textToId.end()) return fail("the merged token is not in the vocabulary");
        m.m_merges.emplace(pairKey(l->second, r->second),
                           (std::uint64_t(rank) << 32) | std::uint32_t(merged->second));
    }
    return m;
}

std::optional<TokenId> BpeModel::find(std::string_view tokenText) const {
    auto it = m_textToId.find(std::string(tokenText));
    if (it == m_textToId.end()) return std::nullopt;
    return it->second;
}

void BpeModel::encodeWord(std::string_view word, std::vector<TokenId>& out) const {
    if (word.size() > kMaxCachedWordBytes) {
        merge(word, out);
        return;
    }
    {
        std::lock_guard lock(m_cache->mutex);
        auto it = m_cache->words.find(word);
        if (it != m_cache->words.end()) {
            out.insert(out.end(), it->second.begin(), it->second.end());
            return;
        }
    }
    const std::size_t first = out.size();
    merge(word, out);
    std::lock_guard lock(m_cache->mutex);
    if (m_cache->words.size() >= kMaxCachedWords) m_cache->words.clear();  // bound the memory
    m_cache->words.emplace(std::string(word), std::vector<TokenId>(out.begin() + std::ptrdiff_t(first), out.end()));
}

void BpeModel::merge(std::string_view word, std::vector<TokenId>& out) const {
    if (m_ignoreMerges) {
        if (auto id = find(byteLevelEncode(word))) {
            out.push_back(*id);
            return;
        }
    }
    // Symbols as a linked list over byte positions: [n] ids, prev/next indices (-1 = none).
    std::vector<TokenId> ids;
    ids.reserve(word.size());
    for (unsigned char c : word)
        if (m_byteId[c] >= 0) ids.push_back(m_byteId[c]);  // HF drops bytes it has no token for
    const int n = int(ids.size());
    std::vector<int> prev(ids.size()), next(ids.size());
    for (int i = 0; i < n; ++i) {
        prev[std::size_t(i)] = i - 1;
        next[std::size_t(i)] = i + 1 < n ? i + 1 : -1;
    }
    struct Candidate {
        std::uint32_t rank;
        int pos;
        TokenId left, right, merged;
        bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
    auto consider = [&](int pos) {
        if (pos < 0 || next[std::size_t(pos)] < 0) return;
        const TokenId l = ids[std::size_t(pos)], r = ids[std::size_t(next[std::size_t(pos)])];
        auto it = m_merges.find(pairKey(l, r));
        if (it != m_merges.end())
            heap.push({std::uint32_t(it->second >> 32), pos, l, r, TokenId(std::uint32_t(it->second))});
    };
    for (int i = 0; i + 1 < n; ++i) consider(i);
    while (!heap.empty()) {
        const Candidate c = heap.top();
        heap.pop();
        const int r = next[std::size_t(c.pos)];
        // Stale when either side changed since it was queued (a symbol's id only ever grows).
        if (ids[std::size_t(c.pos)] != c.left || r < 0 || ids[std::size_t(r)] != c.right) continue;
        ids[std::size_t(c.pos)] = c.merged;
        ids[std::size_t(r)] = -1;
        next[std::size_t(c.pos)] = next[std::size_t(r)];
        if (next[std::size_t(r)] >= 0) prev[std::size_t(next[std::size_t(r)])] = c.pos;
        consider(prev[std::size_t(c.pos)]);
        consider(c.pos);
    }
    for (int i = n > 0 ? 0 : -1; i >= 0; i = next[std::size_t(i)]) out.push_back(ids[std::size_t(i)]);
}

}  // namespace atelier::engine
