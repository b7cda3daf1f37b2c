#include "turn_stream_buffer.h"

#include <algorithm>
#include <utility>

namespace atelier::ui {

namespace {

// The length of the longest prefix of `text` that ends on a whole UTF-8 character.
std::size_t wholeCharacters(const std::string& text) {
    std::size_t end = text.size();
    std::size_t back = 0;
    while (end > 0 && back < 4 && (static_cast<unsigned char>(text[end - 1]) & 0xC0) == 0x80) --end, ++back;
    if (end == 0) return text.size();  // no lead byte: invalid anyway, pass it on
    const auto lead = static_cast<unsigned char>(text[end - 1]);
    const std::size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return back + 1 >= need ? text.size() : end - 1;
}

}  // namespace

bool TurnStreamBuffer::add(const std::string& agent, const agents::TurnEvent& event) {
    using K = agents::TurnEventKind;
    if (event.kind == K::Usage) return false;  // the step event that follows carries the exact usage
    std::lock_guard lock(m_mutex);
    {
        auto it = std::find_if(m_pending.begin(), m_pending.end(), [&](const auto& p) { return p.first == agent; });
        if (it == m_pending.end()) it = m_pending.insert(m_pending.end(), {agent, StreamedPiece{}});
        StreamedPiece& piece = it->second;
        if (event.kind == K::ToolCall) {
            piece.tools.push_back(QString::fromStdString(event.text));
        } else {
            // A token may end inside a character: hold its bytes back until the rest comes.
            std::string& partial = m_partial[agent];
            partial += event.text;
            const std::size_t n = wholeCharacters(partial);
            const QString text = QString::fromStdString(partial.substr(0, n));
            partial.erase(0, n);
            (event.kind == K::Reasoning ? piece.reasoning : piece.content) += text;
            ++piece.tokens;
        }
    }
    return !std::exchange(m_posted, true);
}

std::vector<std::pair<QString, StreamedPiece>> TurnStreamBuffer::take() {
    std::lock_guard lock(m_mutex);
    std::vector<std::pair<QString, StreamedPiece>> out;
    out.reserve(m_pending.size());
    for (auto& [agent, piece] : m_pending) out.emplace_back(QString::fromStdString(agent), std::move(piece));
    m_pending.clear();
    m_posted = false;
    return out;
}

}  // namespace atelier::ui
