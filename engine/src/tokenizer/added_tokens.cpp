#include "tokenizer/added_tokens.h"

#include <algorithm>

namespace atelier::engine {

void AddedTokens::add(std::string text, TokenId id, bool special) {
    if (text.empty()) return;
    auto& list = m_byFirstByte[static_cast<unsigned char>(text[0])];
    for (const auto& e : list)
        if (e.text == text) return;  // the first id for a text wins
    list.push_back({std::move(text), id, special});
    std::stable_sort(list.begin(), list.end(),
                     [](const Entry& a, const Entry& b) { return a.text.size() > b.text.size(); });
}

void AddedTokens::split(std::string_view text, bool withSpecial, std::vector<Segment>& out) const {
    std::size_t plainStart = 0;
    for (std::size_t i = 0; i < text.size();) {
        const auto& list = m_byFirstByte[static_cast<unsigned char>(text[i])];
        const Entry* hit = nullptr;
        for (const auto& e : list) {
            if ((withSpecial || !e.special) && text.compare(i, e.text.size(), e.text) == 0) {
                hit = &e;
                break;
            }
        }
        if (!hit) {
            ++i;
            continue;
        }
        if (i > plainStart) out.push_back({text.substr(plainStart, i - plainStart), -1});
        out.push_back({text.substr(i, hit->text.size()), hit->id});
        i += hit->text.size();
        plainStart = i;
    }
    if (plainStart < text.size()) out.push_back({text.substr(plainStart), -1});
}

}  // namespace atelier::engine
