#include "tokenizer/byte_level.h"

#include <array>
#include <cstdint>

#include "atelier/engine/vocabulary.h"

namespace atelier::engine {
namespace {

struct ByteLevelTables {
    std::array<std::string, 256> encoded;   // byte -> its text
    std::array<std::int16_t, 0x180> decoded;  // code point (< U+0180) -> byte, or -1
};

const ByteLevelTables& tables() {
    static const ByteLevelTables t = [] {
        ByteLevelTables r;
        r.decoded.fill(-1);
        for (int b = 0; b < 256; ++b) {
            r.encoded[std::size_t(b)] = byteToUnicode(std::uint8_t(b));
            const std::string& s = r.encoded[std::size_t(b)];
            const std::uint32_t cp = s.size() == 1
                                         ? std::uint8_t(s[0])
                                         : ((std::uint8_t(s[0]) & 0x1Fu) << 6) | (std::uint8_t(s[1]) & 0x3Fu);
            r.decoded[cp] = std::int16_t(b);
        }
        return r;
    }();
    return t;
}

}  // namespace

std::string byteLevelEncode(std::string_view bytes) {
    const auto& t = tables();
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) out += t.encoded[c];
    return out;
}

std::optional<std::string> byteLevelDecode(std::string_view text) {
    const auto& t = tables();
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto c0 = std::uint8_t(text[i]);
        std::uint32_t cp;
        if (c0 < 0x80) {
            cp = c0;
            i += 1;
        } else if ((c0 & 0xE0) == 0xC0 && i + 1 < text.size() && (std::uint8_t(text[i + 1]) & 0xC0) == 0x80) {
            cp = ((c0 & 0x1Fu) << 6) | (std::uint8_t(text[i + 1]) & 0x3Fu);
            i += 2;
        } else {
            return std::nullopt;  // three- and four-byte characters are all outside the alphabet
        }
        if (cp >= t.decoded.size() || t.decoded[cp] < 0) return std::nullopt;
        out.push_back(char(t.decoded[cp]));
    }
    return out;
}

}  // namespace atelier::engine
