// CheckpointPrefixStore: CheckpointStore behind the generation service's PrefixStore hook.
// Thread: the service's scheduler (lookup/save), the owner before and after (pin/flush).

#include "atelier/engine/checkpoint_prefix_store.h"

#include <algorithm>

#include "atelier/base/log.h"

namespace atelier::engine {
namespace {

bool startsWith(std::span<const std::int32_t> whole, std::span<const std::int32_t> prefix) {
    return prefix.size() <= whole.size() && std::equal(prefix.begin(), prefix.end(), whole.begin());
}

}  // namespace

CheckpointPrefixStore::CheckpointPrefixStore(std::optional<CheckpointStore> store, ModelFingerprint model,
                                             KvCache shape)
    : m_store(std::move(store)), m_model(std::move(model)), m_shape(std::move(shape)) {}

CheckpointPrefixStore::~CheckpointPrefixStore() { flush(); }

void CheckpointPrefixStore::pin(KvCache state) { m_pinned = std::move(state); }

std::optional<KvCache> CheckpointPrefixStore::lookup(std::span<const std::int32_t> tokens,
                                                     std::int64_t maxLength) {
    const std::int64_t limit = std::clamp<std::int64_t>(maxLength, 0, std::int64_t(tokens.size()));
    if (m_pinned && m_pinned->length() <= limit && startsWith(tokens, m_pinned->tokens()))
        return m_pinned->fork();
    if (!m_store || limit == 0) return std::nullopt;
    auto hit = m_store->lookup(m_model, m_shape, tokens.first(std::size_t(limit)));
    if (!hit) {
        logger("engine")->warn("KV checkpoint lookup failed, prefilling instead: {}", hit.error().message);
        return std::nullopt;
    }
    if (!*hit) return std::nullopt;
    ++m_stats.hits;
    logger("engine")->debug("KV checkpoint {}: {} of {} prompt tokens, restart at {}", (*hit)->id,
                            (*hit)->matched, tokens.size(), (*hit)->sequence.length());
    // The prefill from the restart point reuses the stored entries up to the hit.
    return std::move((*hit)->sequence);
}

void CheckpointPrefixStore::save(const KvCache& state) {
    if (!m_store || state.length() == 0 || state.length() % kPrefixBlock != 0) return;
    if (m_pending) {
        if (startsWith(state.tokens(), m_pending->tokens())) {
            // The same prefill went on: the pending state was not its end.
            const std::int64_t period = std::max<std::int64_t>(1, m_store->policy().period);
            if (m_store->policy().strategy == WindowStrategy::Periodic && m_pending->length() % period == 0 &&
                m_pending->length() < state.length())
                m_pendingStates.push_back(std::move(*m_pending));
        } else {
            flush();  // another prompt: the pending state ended its prefill
        }
    }
    m_pending = state.fork();
}

void CheckpointPrefixStore::flush() {
    if (!m_pending) return;
    KvCache state = std::move(*m_pending);
    std::vector<KvCache> states = std::move(m_pendingStates);
    m_pending.reset();
    m_pendingStates.clear();
    write(state, states);
}

void CheckpointPrefixStore::write(const KvCache& state, std::span<const KvCache> windowStates) {
    if (!m_store) return;
    auto stored = m_store->contains(m_model, state.tokens());
    if (stored && *stored) return;
    auto id = m_store->save(m_model, state, windowStates);
    if (!id) {
        // Losing a cache entry costs a prefill later, nothing more: recovered, so a warning.
        logger("engine")->warn("KV checkpoint of {} tokens not saved: {}", state.length(), id.error().message);
        return;
    }
    ++m_stats.written;
}

}  // namespace atelier::engine
