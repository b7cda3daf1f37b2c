#pragma once
// JSON text exactly as Python's `json.dumps(value, ensure_ascii=False)` writes it, which is
// what DeepSeek's encoder uses for tool schemas, response formats and non-string tool-call
// arguments: object keys in their given order, ", " and ": " separators, non-ASCII kept as
// UTF-8, control characters escaped.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace atelier::engine::chat {

std::string pythonJsonDump(const nlohmann::ordered_json& value);

// A JSON string literal ("...") of `text`, escaped as pythonJsonDump escapes strings.
void appendPythonJsonString(std::string& out, std::string_view text);

}  // namespace atelier::engine::chat
