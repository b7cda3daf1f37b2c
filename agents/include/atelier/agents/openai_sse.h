#pragma once
// SseDecoder: splits a text/event-stream into the data of its events (WHATWG server-sent
// events: `data:` lines joined by "\n", an empty line ends the event; comments and other fields
// are skipped; "\n", "\r\n" and "\r" line ends). Fed bytes in pieces of any size. Lines longer
// than the limit fail the stream instead of growing without bound. One instance per stream;
// not thread-safe.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::agents {

class SseDecoder {
public:
    explicit SseDecoder(std::size_t maxEventBytes = 16u << 20) : m_max(maxEventBytes) {}

    // The data of every event completed by `bytes`.
    std::vector<std::string> feed(std::string_view bytes);
    bool failed() const { return m_failed; }

private:
    void line(std::string_view text, std::vector<std::string>& out);

    std::size_t m_max;
    std::string m_line;
    std::string m_data;
    bool m_hasData = false;
    bool m_lastWasCr = false;
    bool m_failed = false;
};

}  // namespace atelier::agents
