// TokenTrie: built breadth-first over the byte strings sorted bytewise, so each node's tokens
// are a contiguous run of the sorted ids and its children are allocated together.

#include "constraint/token_trie.h"

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>

namespace atelier::engine::constraint {

namespace {

using Entry = std::pair<std::string_view, std::int32_t>;

TokenTrie::Trie buildTrie(std::vector<Entry> entries) {
    std::sort(entries.begin(), entries.end());
    TokenTrie::Trie t;
    for (const auto& e : entries) t.tokens.push_back(e.second);
    struct Pending {
        std::uint32_t node;
        std::size_t lo, hi, depth;
    };
    t.nodes.emplace_back();
    std::deque<Pending> queue{{0, 0, entries.size(), 0}};
    while (!queue.empty()) {
        const Pending p = queue.front();
        queue.pop_front();
        t.maxDepth = std::max(t.maxDepth, p.depth);
        std::size_t i = p.lo;
        while (i < p.hi && entries[i].first.size() == p.depth) ++i;
        t.nodes[p.node].firstToken = std::uint32_t(p.lo);
        t.nodes[p.node].tokenCount = std::uint32_t(i - p.lo);
        std::vector<Pending> children;
        while (i < p.hi) {
            const char b = entries[i].first[p.depth];
            std::size_t j = i;
            while (j < p.hi && entries[j].first[p.depth] == b) ++j;
            children.push_back({0, i, j, p.depth + 1});
            i = j;
        }
        t.nodes[p.node].firstChild = std::uint32_t(t.nodes.size());
        t.nodes[p.node].childCount = std::uint32_t(children.size());
        for (auto& c : children) {
            c.node = std::uint32_t(t.nodes.size());
            t.nodes.emplace_back();
            t.nodes.back().byte = std::uint8_t(entries[c.lo].first[p.depth]);
            queue.push_back(c);
        }
    }
    return t;
}

}  // namespace

TokenTrie::TokenTrie(const Tokenizer& tokenizer) : m_tokenizer(tokenizer) {
    const Vocabulary& vocab = tokenizer.vocabulary();
    m_vocabSize = tokenizer.vocabSize();
    std::vector<Entry> normal, exits;
    for (std::int32_t id = 0; id < m_vocabSize; ++id) {
        const std::string_view bytes = tokenizer.tokenBytes(id);
        m_maxTokenBytes = std::max(m_maxTokenBytes, bytes.size());
        if (tokenizer.isSpecial(id)) m_special.push_back(id);
        else if (vocab.types[std::size_t(id)] == TokenType::Unused) m_unused.push_back(id);
        else if (bytes.empty()) m_empty.push_back(id);
        else normal.emplace_back(bytes, id);
        if (!normal.empty() && normal.back().second == id && bytes.find_first_of("\"<") != std::string_view::npos)
            exits.emplace_back(bytes, id);
    }
    m_all = buildTrie(std::move(normal));
    m_exits = buildTrie(std::move(exits));
}

std::shared_ptr<const TokenTrie> TokenTrie::forTokenizer(const Tokenizer& tokenizer) {
    static std::mutex mutex;
    static std::map<const Vocabulary*, std::weak_ptr<const TokenTrie>> cache;  // guarded by mutex
    std::lock_guard lock(mutex);
    // A live trie keeps its tokenizer's vocabulary alive, so its address is not reused.
    auto& slot = cache[&tokenizer.vocabulary()];
    if (auto trie = slot.lock()) return trie;
    for (auto it = cache.begin(); it != cache.end();)
        it = it->second.expired() && &it->second != &slot ? cache.erase(it) : std::next(it);
    auto trie = std::make_shared<const TokenTrie>(tokenizer);
    slot = trie;
    return trie;
}

}  // namespace atelier::engine::constraint
