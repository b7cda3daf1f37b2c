#include "chat/python_json.h"

#include <cstdio>

namespace atelier::engine::chat {
namespace {

void dumpInto(std::string& out, const nlohmann::ordered_json& value) {
    using Type = nlohmann::ordered_json::value_t;
    switch (value.type()) {
    case Type::object: {
        out += '{';
        bool first = true;
        for (const auto& [key, item] : value.items()) {
            if (!first) out += ", ";
            first = false;
            appendPythonJsonString(out, key);
            out += ": ";
            dumpInto(out, item);
        }
        out += '}';
        return;
    }
    case Type::array: {
        out += '[';
        bool first = true;
        for (const auto& item : value) {
            if (!first) out += ", ";
            first = false;
            dumpInto(out, item);
        }
        out += ']';
        return;
    }
    case Type::string:
        appendPythonJsonString(out, value.get_ref<const std::string&>());
        return;
    case Type::null:
        out += "null";
        return;
    case Type::boolean:
        out += value.get<bool>() ? "true" : "false";
        return;
    default:
        // Integers print as integers; floats with the shortest round-trip digits and a ".0"
        // on whole numbers, as Python's float repr does (exponent forms "1e-05", "1e+16").
        out += value.dump();
        return;
    }
}

}  // namespace

void appendPythonJsonString(std::string& out, std::string_view text) {
    out += '"';
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (u < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", u);
                out += buf;
            } else {
                out += c;  // ASCII and UTF-8 bytes as they are (ensure_ascii=False)
            }
        }
    }
    out += '"';
}

std::string pythonJsonDump(const nlohmann::ordered_json& value) {
    std::string out;
    dumpInto(out, value);
    return out;
}

std::optional<nlohmann::ordered_json> toolCallParameters(const std::string& arguments) {
    // json.loads refuses a leading byte order mark, which nlohmann would skip. (Where json.loads
    // is laxer, NaN, Infinity, lone surrogate escapes and integers past 64 bits, this text is
    // taken as not JSON and the two encoders differ.)
    if (arguments.starts_with("\xEF\xBB\xBF")) return nlohmann::ordered_json{{"arguments", arguments}};
    auto parsed = nlohmann::ordered_json::parse(arguments, nullptr, false);
    if (parsed.is_discarded()) return nlohmann::ordered_json{{"arguments", arguments}};
    if (!parsed.is_object()) return std::nullopt;
    return parsed;
}

}  // namespace atelier::engine::chat
