// MarkerDfa: trie of the markers, failure links by breadth-first search, then the full
// transition table (a handful of markers: a few dozen nodes of 256 entries).

#include "constraint/marker_dfa.h"

#include <deque>

namespace atelier::engine::constraint {

MarkerDfa::MarkerDfa(const std::vector<std::string_view>& forbidden, std::string_view start) {
    std::vector<std::array<int, 256>> child(1);
    child[0].fill(-1);
    m_nodes.emplace_back();
    auto insert = [&](std::string_view text) {
        std::size_t n = 0;
        for (char c : text) {
            const auto b = std::uint8_t(c);
            if (child[n][b] < 0) {
                child[n][b] = int(m_nodes.size());
                child.emplace_back().fill(-1);
                m_nodes.emplace_back();
                m_nodes.back().depth = std::uint16_t(m_nodes[n].depth + 1);
            }
            n = std::size_t(child[n][b]);
        }
        return n;
    };
    for (auto f : forbidden) m_nodes[insert(f)].forbiddenSuffix = true;
    const std::size_t startEnd = insert(start);
    {
        std::size_t n = 0;
        m_nodes[0].startPrefix = true;
        for (char c : start) {
            n = std::size_t(child[n][std::uint8_t(c)]);
            m_nodes[n].startPrefix = true;
        }
    }
    m_nodes[startEnd].startComplete = true;
    // Breadth-first: fail(child) = next(fail(parent), b); outputs inherit along failure links.
    std::vector<std::uint16_t> fail(m_nodes.size(), 0);
    std::deque<std::size_t> queue;
    for (int b = 0; b < 256; ++b) {
        const int c = child[0][std::size_t(b)];
        m_nodes[0].next[std::size_t(b)] = std::uint16_t(c < 0 ? 0 : c);
        if (c > 0) queue.push_back(std::size_t(c));
    }
    while (!queue.empty()) {
        const std::size_t n = queue.front();
        queue.pop_front();
        m_nodes[n].forbiddenSuffix = m_nodes[n].forbiddenSuffix || m_nodes[fail[n]].forbiddenSuffix;
        for (int b = 0; b < 256; ++b) {
            const int c = child[n][std::size_t(b)];
            if (c < 0) {
                m_nodes[n].next[std::size_t(b)] = m_nodes[fail[n]].next[std::size_t(b)];
            } else {
                fail[std::size_t(c)] = m_nodes[fail[n]].next[std::size_t(b)];
                m_nodes[n].next[std::size_t(b)] = std::uint16_t(c);
                queue.push_back(std::size_t(c));
            }
        }
    }
    // committed: along the start marker's path, once a forbidden marker has been passed.
    std::size_t n = 0;
    bool passed = false;
    for (char c : start) {
        n = std::size_t(child[n][std::uint8_t(c)]);
        passed = passed || m_nodes[n].forbiddenSuffix;
        m_nodes[n].committed = passed;
    }
}

MarkerDfa::Step MarkerDfa::step(std::uint16_t& node, std::uint8_t byte) const {
    const Node& cur = m_nodes[node];
    const std::uint16_t next = cur.next[byte];
    const Node& to = m_nodes[next];
    if (cur.committed && !(to.startPrefix && to.depth == cur.depth + 1)) return Step::Reject;
    if (to.startComplete) {
        node = 0;
        return Step::Start;
    }
    if (to.forbiddenSuffix && !to.startPrefix) return Step::Reject;
    node = next;
    return Step::Continue;
}

}  // namespace atelier::engine::constraint
