#pragma once
// The GPT-2 byte-level alphabet both ways: raw bytes to the printable text token strings use
// (space = "Ġ"), and back. Thread-safe: pure functions over constant tables.

#include <optional>
#include <string>
#include <string_view>

namespace atelier::engine {

// Raw bytes to byte-level token text (each byte becomes one or two UTF-8 bytes).
std::string byteLevelEncode(std::string_view bytes);

// Byte-level token text back to raw bytes; nullopt when a character is outside the alphabet
// (added tokens such as "<｜User｜>" are not byte-level text).
std::optional<std::string> byteLevelDecode(std::string_view text);

}  // namespace atelier::engine
