#pragma once
// JSON text exactly as Python's `json.dumps(value, ensure_ascii=False)` writes it, which is
// what DeepSeek's encoder uses for tool schemas, response formats and non-string tool-call
// arguments: object keys in their given order, ", " and ": " separators, non-ASCII kept as
// UTF-8, control characters escaped.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace atelier::engine::chat {

std::string pythonJsonDump(const nlohmann::ordered_json& value);

// A JSON string literal ("...") of `text`, escaped as pythonJsonDump escapes strings.
void appendPythonJsonString(std::string& out, std::string_view text);

// The parameters encoding_dsv4.py renders for a tool call's `arguments` text: the object it
// parses to, or {"arguments": text} when it is not JSON (the encoder's json.loads fallback).
// Empty when it is JSON but not an object: the official encoder fails on that (.items()).
std::optional<nlohmann::ordered_json> toolCallParameters(const std::string& arguments);

}  // namespace atelier::engine::chat
