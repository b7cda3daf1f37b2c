// MemoryPrefixCache: a block tree of forked sequence states with LRU eviction by bytes.

#include "atelier/engine/prefix_cache.h"

#include <algorithm>

namespace atelier::engine {

struct MemoryPrefixCache::Node {
    Node* parent = nullptr;
    std::vector<std::int32_t> key;  // [kPrefixBlock] the edge from the parent
    std::map<std::vector<std::int32_t>, std::unique_ptr<Node>> children;
    std::optional<KvCache> state;
    std::size_t cost = 0;
    std::list<Node*>::iterator lru;
};

MemoryPrefixCache::MemoryPrefixCache(std::size_t byteBudget)
    : m_budget(byteBudget), m_root(std::make_unique<Node>()) {}

MemoryPrefixCache::~MemoryPrefixCache() = default;

std::size_t MemoryPrefixCache::stateCost(const KvCache& state) {
    std::size_t bytes = state.stateBytes() + std::size_t(state.length()) * sizeof(std::int32_t);
    for (int l = 0; l < state.layerCount(); ++l) {
        const LayerCache& lc = state.layer(l);
        bytes += lc.entries.pageCount() * lc.entries.pageBytes();
        bytes += lc.indexKeys.pageCount() * lc.indexKeys.pageBytes();
    }
    return bytes;
}

MemoryPrefixCache::Node* MemoryPrefixCache::find(std::span<const std::int32_t> tokens,
                                                 std::int64_t blocks, bool create) {
    Node* node = m_root.get();
    std::vector<std::int32_t> key;
    for (std::int64_t b = 0; b < blocks; ++b) {
        const auto run = tokens.subspan(std::size_t(b * kPrefixBlock), std::size_t(kPrefixBlock));
        key.assign(run.begin(), run.end());
        auto it = node->children.find(key);
        if (it == node->children.end()) {
            if (!create) return nullptr;
            auto child = std::make_unique<Node>();
            child->parent = node;
            child->key = key;
            it = node->children.emplace(key, std::move(child)).first;
        }
        node = it->second.get();
    }
    return node;
}

void MemoryPrefixCache::touch(Node* node) {
    m_lru.splice(m_lru.begin(), m_lru, node->lru);
}

std::optional<KvCache> MemoryPrefixCache::lookup(std::span<const std::int32_t> tokens,
                                                 std::int64_t maxLength) {
    const std::int64_t limit = std::min<std::int64_t>(maxLength, std::int64_t(tokens.size()));
    Node* node = m_root.get();
    Node* best = nullptr;
    std::vector<std::int32_t> key;
    for (std::int64_t b = 0; (b + 1) * kPrefixBlock <= limit; ++b) {
        const auto run = tokens.subspan(std::size_t(b * kPrefixBlock), std::size_t(kPrefixBlock));
        key.assign(run.begin(), run.end());
        auto it = node->children.find(key);
        if (it == node->children.end()) break;
        node = it->second.get();
        if (node->state) best = node;
    }
    if (!best) return std::nullopt;
    touch(best);
    return best->state->fork();
}

void MemoryPrefixCache::save(const KvCache& state) {
    const std::int64_t n = state.length();
    if (n == 0 || n % kPrefixBlock != 0) return;
    const std::size_t cost = stateCost(state);
    if (cost > m_budget) return;
    Node* node = find(state.tokens(), n / kPrefixBlock, true);
    if (node->state) {  // the same prefix gives the same state: keep the old one
        touch(node);
        return;
    }
    node->state = state.fork();
    node->cost = cost;
    m_bytes += cost;
    m_lru.push_front(node);
    node->lru = m_lru.begin();
    evict();
}

void MemoryPrefixCache::evict() {
    while (m_bytes > m_budget && !m_lru.empty()) {
        Node* victim = m_lru.back();
        m_lru.pop_back();
        m_bytes -= victim->cost;
        victim->state.reset();
        victim->cost = 0;
        prune(victim);
    }
}

// Removes `node` and its ancestors while they hold neither a state nor children.
void MemoryPrefixCache::prune(Node* node) {
    while (node != m_root.get() && !node->state && node->children.empty()) {
        Node* parent = node->parent;
        const std::vector<std::int32_t> key = node->key;  // node dies in erase()
        parent->children.erase(key);
        node = parent;
    }
}

}  // namespace atelier::engine
