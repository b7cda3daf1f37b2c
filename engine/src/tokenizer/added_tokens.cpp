#include "tokenizer/added_tokens.h"

#include <algorithm>

namespace atelier::engine {

int AddedTokens::child(int node, unsigned char byte) const {
    const auto& c = m_nodes[std::size_t(node)].children;
    auto it = std::lower_bound(c.begin(), c.end(), byte, [](const auto& e, unsigned char b) { return e.first < b; });
    return it != c.end() && it->first == byte ? it->second : -1;
}

void AddedTokens::add(std::string text, TokenId id, bool special) {
    if (text.empty()) return;
    int node = 0;
    for (unsigned char byte : text) {
        int next = child(node, byte);
        if (next < 0) {
            next = int(m_nodes.size());
            m_nodes.emplace_back();
            auto& c = m_nodes[std::size_t(node)].children;
            c.insert(std::upper_bound(c.begin(), c.end(), std::make_pair(byte, next)), {byte, next});
        }
        node = next;
    }
    Node& end = m_nodes[std::size_t(node)];
    if (end.id >= 0) return;  // the first id for a text wins
    end.id = id;
    end.special = special;
    m_starts[static_cast<unsigned char>(text[0])] = true;
}

void AddedTokens::split(std::string_view text, bool withSpecial, std::vector<Segment>& out) const {
    std::size_t plainStart = 0;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t matchLength = 0;
        TokenId matchId = -1;
        if (m_starts[static_cast<unsigned char>(text[i])]) {
            int node = 0;
            for (std::size_t k = i; k < text.size(); ++k) {
                node = child(node, static_cast<unsigned char>(text[k]));
                if (node < 0) break;
                const Node& n = m_nodes[std::size_t(node)];
                if (n.id >= 0 && (withSpecial || !n.special)) {
                    matchLength = k + 1 - i;
                    matchId = n.id;
                }
            }
        }
        if (matchId < 0) {
            ++i;
            continue;
        }
        if (i > plainStart) out.push_back({text.substr(plainStart, i - plainStart), -1});
        out.push_back({text.substr(i, matchLength), matchId});
        i += matchLength;
        plainStart = i;
    }
    if (plainStart < text.size()) out.push_back({text.substr(plainStart), -1});
}

}  // namespace atelier::engine
