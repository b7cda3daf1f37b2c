#pragma once
// Bounds on the JSON schemas of tool arguments and on the arguments themselves. A schema comes
// from a plugin or from an MCP server, which may be hostile: it is checked before it is used
// (checkToolSchema: nesting, size, local `$ref`s without cycles, patterns that compile), and
// its regular expressions never reach std::regex (whose recursion grows with the subject:
// a `pattern` on a 120,000-character argument overflowed the stack). boundedSchemaFor() turns
// `pattern`, `patternProperties` and `format` into equivalent constraints on the strings the
// arguments actually hold, matched with PCRE2 under its limits (BoundedRegex), so the JSON
// Schema validator sees none of them.
// Threads: free functions, safe from any thread.

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "atelier/base/result.h"

namespace atelier::agents {

// Depths count nested arrays and objects: 1 for {"a": 1}, 2 for {"a": [1]}, 0 for a scalar.
inline constexpr int kMaxSchemaDepth = 32;              // one tool's schema
inline constexpr std::size_t kMaxSchemaNodes = 20000;   // JSON values in one tool's schema
inline constexpr int kMaxArgumentDepth = 64;            // one call's arguments

// Whether `schema` can serve as a tool's argument schema; the error (Internal: the schema is
// at fault, not the caller) says what is wrong and where.
Result<void> checkToolSchema(const nlohmann::json& schema);

// `schema` (already checked) with every `pattern`, `patternProperties` and `format` replaced by
// constraints on the strings and keys in `args` that are equivalent for `args`. `why` receives
// a note for each string a pattern refused (for the error message). A pattern too costly to
// match is an Overflow error, never a silent mismatch.
Result<nlohmann::json> boundedSchemaFor(const nlohmann::json& schema, const nlohmann::json& args,
                                        std::string* why = nullptr);

// How deeply `value` nests, counted without recursion; stops counting past `limit` (returns
// limit + 1).
int jsonDepth(const nlohmann::json& value, int limit);

// Parses `text` as JSON nested at most `maxDepth` deep; malformed or deeper input gives a
// discarded value (is_discarded()). Never builds the deep tree (whose copies and dumps recurse).
nlohmann::json parseJsonBounded(std::string_view text, int maxDepth);

}  // namespace atelier::agents
