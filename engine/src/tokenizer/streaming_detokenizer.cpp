#include "atelier/engine/tokenizer.h"

namespace atelier::engine {
namespace {

// How many bytes at the end of `s` are the start of a UTF-8 sequence that later bytes could
// still complete (0 when the end is whole characters or bytes that can never be valid).
std::size_t incompleteTail(const std::string& s) {
    const std::size_t n = s.size();
    for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
        const auto c = static_cast<unsigned char>(s[n - back]);
        if ((c & 0xC0) == 0x80) continue;  // a continuation byte: keep looking for the lead
        std::size_t need = 0;
        if (c >= 0xC2 && c <= 0xDF) need = 2;
        else if (c >= 0xE0 && c <= 0xEF) need = 3;
        else if (c >= 0xF0 && c <= 0xF4) need = 4;
        return need > back ? back : 0;
    }
    return 0;
}

}  // namespace

std::string StreamingDetokenizer::push(TokenId id) {
    m_pending += m_tokenizer.tokenBytes(id);
    const std::size_t hold = incompleteTail(m_pending);
    std::string out = m_pending.substr(0, m_pending.size() - hold);
    m_pending.erase(0, m_pending.size() - hold);
    return out;
}

std::string StreamingDetokenizer::flush() {
    std::string out;
    out.swap(m_pending);
    return out;
}

}  // namespace atelier::engine
