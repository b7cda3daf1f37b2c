#include "turn_stream_buffer.h"

#include <algorithm>
#include <utility>

namespace atelier::ui {

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
            // A token may end inside a character: its bytes are held back until the rest comes.
            const QString text = QString::fromStdString(m_partial[agent].push(event.text));
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
