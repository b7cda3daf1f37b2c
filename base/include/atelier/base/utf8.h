#pragma once
// UTF-8 helpers, the one copy of each in the code base. Validity is RFC 3629's: no overlong
// forms, no surrogates, nothing past U+10FFFF. Text from outside (files, PDFs, git objects, a
// model's sampled bytes) may hold any bytes; JSON, SQLite text and Qt strings want valid UTF-8.
// Threads: the functions are pure; a Utf8Text belongs to one stream and one thread at a time.

#include <cstddef>
#include <string>
#include <string_view>

namespace atelier::base {

// `text` with every byte that is not part of a well-formed UTF-8 character replaced by U+FFFD
// (one replacement per byte).
std::string validUtf8(std::string_view text);

// The longest prefix of `text` of at most `maxBytes` bytes that does not end inside a character:
// a sequence that the cut (or the end of `text`) leaves incomplete is dropped whole, which is at
// most 3 bytes. Bytes that can never be UTF-8 are kept as they are (validUtf8 marks them).
std::string truncateUtf8(std::string_view text, std::size_t maxBytes);

// Makes a stream of text pieces valid UTF-8, as validUtf8 does for a whole text: a piece may
// end inside a character (a token, a network chunk), so an incomplete trailing sequence is held
// back until the next piece completes it, or until flush(). One instance per stream.
class Utf8Text {
public:
    // The valid text of what is held back plus `piece`, keeping back an incomplete trailing
    // character.
    std::string push(std::string_view piece);
    // The held-back bytes (U+FFFD each), at the end of the stream.
    std::string flush();

private:
    std::string m_held;  // [< 4 bytes] the start of a character that the next piece may complete
};

}  // namespace atelier::base
