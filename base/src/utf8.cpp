// UTF-8 helpers (utf8.h): RFC 3629 validation (no overlong forms, no surrogates, ≤ U+10FFFF).

#include "atelier/base/utf8.h"

#include <algorithm>

namespace atelier::base {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the character starting at `s[i]` if valid; 0 if invalid; -1 if the bytes end
// before it is complete but it could still become valid.
int charLength(std::string_view s, std::size_t i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) return 1;
    int n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (b >= 0xC2 && b <= 0xDF) n = 2;
    else if (b >= 0xE0 && b <= 0xEF) n = 3, lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
    else if (b >= 0xF0 && b <= 0xF4) n = 4, lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
    else return 0;
    for (int k = 1; k < n; ++k) {
        if (i + std::size_t(k) >= s.size()) return -1;
        const auto c = static_cast<unsigned char>(s[i + std::size_t(k)]);
        if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) return 0;
    }
    return n;
}

// Appends the valid form of `s` to `out`; returns how many trailing bytes were held back
// (only when `hold`).
std::size_t clean(std::string_view s, bool hold, std::string& out) {
    std::size_t i = 0;
    while (i < s.size()) {
        const int n = charLength(s, i);
        if (n > 0) {
            out.append(s.substr(i, std::size_t(n)));
            i += std::size_t(n);
        } else if (n < 0 && hold) {
            return s.size() - i;
        } else {
            out.append(kReplacement);
            ++i;
        }
    }
    return 0;
}

}  // namespace

std::string validUtf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    clean(text, false, out);
    return out;
}

std::string truncateUtf8(std::string_view text, std::size_t maxBytes) {
    std::string_view head = text.substr(0, std::min(maxBytes, text.size()));
    // The last character starts at most 3 bytes before the end (an incomplete one has at most 3
    // of its bytes here).
    for (std::size_t back = 1; back <= 3 && back <= head.size(); ++back) {
        const auto b = static_cast<unsigned char>(head[head.size() - back]);
        if ((b & 0xC0) == 0x80) continue;  // a continuation byte: keep looking for the lead
        if (charLength(head, head.size() - back) < 0) head.remove_suffix(back);
        break;
    }
    return std::string(head);
}

std::string Utf8Text::push(std::string_view piece) {
    m_held.append(piece);
    std::string out;
    const std::size_t kept = clean(m_held, true, out);
    m_held.erase(0, m_held.size() - kept);
    return out;
}

std::string Utf8Text::flush() {
    std::string out;
    clean(m_held, false, out);
    m_held.clear();
    return out;
}

}  // namespace atelier::base
