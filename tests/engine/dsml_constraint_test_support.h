#pragma once
// Test helpers for the DSML constraint tests: tool schemas, an independent JSON-schema check of
// parsed arguments (written here, not taken from the code under test), and mask helpers.

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/engine/chat_format.h"
#include "atelier/engine/dsml_constraint.h"
#include "atelier/engine/tokenizer.h"

namespace dsml_test {

using namespace atelier::engine;
using nlohmann::json;

// The official vector 1's tools plus one that exercises nested objects, arrays, unions, enums
// and booleans.
inline std::string toolsJson() {
    return R"([
{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters":
  {"type": "object", "properties": {"location": {"type": "string"},
   "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]}}},
{"type": "function", "function": {"name": "search", "parameters": {"type": "object", "properties":
  {"query": {"type": "string"}, "num_results": {"type": "integer"},
   "page": {"type": "integer", "minimum": 1, "maximum": 500},
   "offset": {"type": "integer", "exclusiveMinimum": -20, "maximum": -3},
   "delta": {"type": "integer", "minimum": -5, "maximum": -2}}, "required": ["query"]}}},
{"type": "function", "function": {"name": "plot", "parameters": {"type": "object", "properties": {
  "points": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "number"},
     "y": {"type": "number"}, "label": {"type": ["string", "null"]}}, "required": ["x", "y"]}},
  "closed": {"type": "boolean"},
  "style": {"type": "object", "properties": {"color": {"enum": ["red", "green"]},
     "width": {"type": "integer"}}, "additionalProperties": false},
  "mode": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
  "extra": {}}, "required": ["points", "closed"]}}},
{"type": "function", "function": {"name": "now", "parameters": {"type": "object", "properties": {}}}}
])";
}

inline std::vector<ToolSchemaSpec> tools() {
    auto t = parseToolSchemas(toolsJson());
    if (!t) qFatal("%s", t.error().message.c_str());
    return *t;
}

// Does `v` satisfy `schema`? Declared properties only (the constraint's reading of a schema).
inline bool validates(const json& v, const json& s, std::string& why) {
    if (s.contains("anyOf")) {
        for (const auto& b : s["anyOf"]) {
            std::string ignored;
            if (validates(v, b, ignored)) return true;
        }
        return why = "no anyOf branch fits " + v.dump(), false;
    }
    if (s.contains("enum")) {
        for (const auto& e : s["enum"])
            if (e == v) return true;
        return why = v.dump() + " is not in the enum", false;
    }
    if (s.contains("type")) {
        bool ok = false;
        for (const auto& t : s["type"].is_array() ? s["type"] : json::array({s["type"]})) {
            const std::string name = t.get<std::string>();
            ok = ok || (name == "string" && v.is_string()) || (name == "integer" && v.is_number_integer()) ||
                 (name == "number" && v.is_number()) || (name == "boolean" && v.is_boolean()) ||
                 (name == "null" && v.is_null()) || (name == "object" && v.is_object()) ||
                 (name == "array" && v.is_array());
        }
        if (!ok) return why = v.dump() + " is not of type " + s["type"].dump(), false;
    }
    if (v.is_object() && s.contains("properties")) {
        for (auto it = v.begin(); it != v.end(); ++it) {
            if (!s["properties"].contains(it.key())) return why = "unknown key " + it.key(), false;
            if (!validates(it.value(), s["properties"][it.key()], why)) return false;
        }
        for (const auto& r : s.value("required", json::array()))
            if (!v.contains(r.get<std::string>())) return why = "missing " + r.get<std::string>(), false;
    }
    if (v.is_array() && s.contains("items"))
        for (const auto& item : v)
            if (!validates(item, s["items"], why)) return false;
    return true;
}

// Checks every call of a parsed turn against the offered tools; returns "" or the reason.
inline std::string checkCalls(const ParsedCompletion& parsed, const std::vector<ToolSchemaSpec>& offered) {
    for (const auto& call : parsed.toolCalls) {
        const ToolSchemaSpec* spec = nullptr;
        for (const auto& t : offered)
            if (t.name == call.name) spec = &t;
        if (!spec) return "unknown tool " + call.name;
        json args;
        try {
            args = json::parse(call.arguments);
        } catch (const json::exception& e) {
            return "arguments of " + call.name + " are not JSON: " + e.what() + ": " + call.arguments;
        }
        std::string why;
        if (!validates(args, json::parse(spec->parametersJson), why)) return call.name + ": " + why;
    }
    return {};
}

// The allowed set after maskLogits on all-zero logits of the vocabulary's size.
inline std::vector<bool> allowedSet(TokenConstraint& c, std::int64_t vocab) {
    std::vector<float> logits(std::size_t(vocab), 0.0f);
    c.maskLogits(logits);
    std::vector<bool> ok(logits.size());
    for (std::size_t i = 0; i < logits.size(); ++i) ok[i] = std::isfinite(logits[i]);
    return ok;
}

inline std::shared_ptr<TokenConstraint> constraintOrDie(const Tokenizer& tok, std::vector<ToolSchemaSpec> t,
                                                        DsmlConstraintOptions o) {
    auto c = makeDsmlConstraint(tok, std::move(t), o);
    if (!c) qFatal("%s", c.error().message.c_str());
    return *c;
}

inline Tokenizer tinyTokenizer() {
    auto t = Tokenizer::fromVocabulary(builtinVocabulary(1024));
    if (!t) qFatal("%s", t.error().message.c_str());
    return *t;
}

}  // namespace dsml_test
