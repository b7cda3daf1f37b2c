#pragma once
// Prefix caches: sequence states keyed by the token prefix they hold, so that a request forks
// from the longest cached prefix of its prompt instead of prefilling it again.
// Keys are whole blocks of kPrefixBlock = KvCache::kPageTokens = lcm(4, 128) = 128 tokens: at a
// multiple of 128 every CSA (ratio 4) and HCA (ratio 128) compressor has just closed an entry,
// the paged stores end on a page boundary (a fork shares every page and copies none), and the
// service's prefill chunks end there too, so a state saved there continues bit for bit like the
// uninterrupted prefill (see GenerationService).
// Thread-safety: a PrefixStore is used by its service's scheduler thread only.

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "atelier/engine/kv_cache.h"

namespace atelier::engine {

inline constexpr std::int64_t kPrefixBlock = KvCache::kPageTokens;

// The hook the service consults: the memory cache first, then any further store (an on-disk
// checkpoint store implements this interface too).
class PrefixStore {
public:
    virtual ~PrefixStore() = default;
    // The state of the longest stored prefix of `tokens` of at most `maxLength` tokens (a
    // multiple of kPrefixBlock), forked so that the caller may extend it; nullopt when none.
    virtual std::optional<KvCache> lookup(std::span<const std::int32_t> tokens,
                                          std::int64_t maxLength) = 0;
    // Offers a state whose length is a multiple of kPrefixBlock (others are ignored). The store
    // keeps a fork; `state` stays the caller's.
    virtual void save(const KvCache& state) = 0;
};

// In memory: a tree whose edges are blocks of kPrefixBlock tokens (a radix tree over
// block-aligned runs: a node at depth k is the prefix of k blocks) with a forked state at some
// nodes, evicted least recently used first when the states' bytes exceed the budget.
class MemoryPrefixCache final : public PrefixStore {
public:
    explicit MemoryPrefixCache(std::size_t byteBudget);
    ~MemoryPrefixCache() override;

    std::optional<KvCache> lookup(std::span<const std::int32_t> tokens,
                                  std::int64_t maxLength) override;
    void save(const KvCache& state) override;

    std::size_t bytes() const { return m_bytes; }
    std::size_t entries() const { return m_lru.size(); }
    std::size_t byteBudget() const { return m_budget; }
    // The bytes a state is charged: its fixed state plus its pages (shared pages are counted in
    // every state that holds them, so the budget is an upper bound on the memory held).
    static std::size_t stateCost(const KvCache& state);

private:
    struct Node;
    Node* find(std::span<const std::int32_t> tokens, std::int64_t blocks, bool create);
    void touch(Node* node);
    void evict();
    void prune(Node* node);

    std::size_t m_budget;
    std::size_t m_bytes = 0;
    std::unique_ptr<Node> m_root;
    std::list<Node*> m_lru;  // front: most recently used; nodes that hold a state
};

}  // namespace atelier::engine
