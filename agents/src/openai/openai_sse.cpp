// SseDecoder (openai_sse.h).

#include "atelier/agents/openai_sse.h"

namespace atelier::agents {

std::vector<std::string> SseDecoder::feed(std::string_view bytes) {
    std::vector<std::string> out;
    if (m_failed) return out;
    for (char c : bytes) {
        if (c == '\n' && m_lastWasCr) {  // the "\n" of a "\r\n" already ended the line
            m_lastWasCr = false;
            continue;
        }
        m_lastWasCr = c == '\r';
        if (c == '\r' || c == '\n') {
            line(m_line, out);
            m_line.clear();
            if (m_failed) return out;
            continue;
        }
        if (m_line.size() >= m_max) {
            m_failed = true;
            return out;
        }
        m_line.push_back(c);
    }
    return out;
}

void SseDecoder::line(std::string_view text, std::vector<std::string>& out) {
    if (text.empty()) {  // dispatch
        if (m_hasData) out.push_back(std::move(m_data));
        m_data.clear();
        m_hasData = false;
        return;
    }
    if (text.front() == ':') return;  // comment
    const auto colon = text.find(':');
    const std::string_view field = text.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view{}
                                                             : text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field != "data") return;
    if (m_data.size() + value.size() + 1 > m_max) {
        m_failed = true;
        return;
    }
    if (m_hasData) m_data.push_back('\n');
    m_data.append(value);
    m_hasData = true;
}

}  // namespace atelier::agents
