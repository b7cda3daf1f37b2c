#include "chat/python_json.h"

#include <cmath>
#include <cstdio>
#include <limits>

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
        // Python writes the non-finite floats json.loads takes as NaN, Infinity, -Infinity.
        if (value.is_number_float() && !std::isfinite(value.get<double>())) {
            const double d = value.get<double>();
            out += std::isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
            return;
        }
        // Integers print as integers; floats with the shortest round-trip digits and a ".0"
        // on whole numbers, as Python's float repr does (exponent forms "1e-05", "1e+16").
        out += value.dump();
        return;
    }
}

// json.loads also takes the tokens NaN, Infinity and -Infinity where a value stands (what
// Python's json.dumps writes for those floats). Outside strings they are swapped for marker
// strings, the text parsed, and the markers turned into the floats; a marker anywhere else (an
// object key, or text that already held one) makes the text not JSON, as for json.loads.
constexpr std::string_view kMarker = "\\u0000atelier-nonfinite-";

nlohmann::ordered_json parseWithNonFinite(const std::string& text) {
    const nlohmann::ordered_json notJson(nlohmann::ordered_json::value_t::discarded);
    if (text.find(kMarker) != std::string::npos) return notJson;
    std::string swapped;
    bool inString = false, any = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            swapped += c;
            if (c == '\\' && i + 1 < text.size()) swapped += text[++i];
            else if (c == '"') inString = false;
            continue;
        }
        if (c == '"') inString = true;
        bool replaced = false;
        for (std::string_view token : {"NaN", "Infinity", "-Infinity"}) {
            if (text.compare(i, token.size(), token) != 0) continue;
            swapped += '"';
            swapped += kMarker;
            swapped += token;
            swapped += '"';
            i += token.size() - 1;
            replaced = any = true;
            break;
        }
        if (!replaced) swapped += c;
    }
    if (!any) return notJson;
    auto parsed = nlohmann::ordered_json::parse(swapped, nullptr, false);
    if (parsed.is_discarded()) return notJson;
    const std::string marker("\0atelier-nonfinite-", 19);  // the marker as parsed (NUL first)
    bool keyMarker = false;
    auto restore = [&](auto& self, nlohmann::ordered_json& v) -> void {
        if (v.is_object()) {
            for (auto& [key, item] : v.items()) {
                if (key.starts_with(marker)) keyMarker = true;
                self(self, item);
            }
        } else if (v.is_array()) {
            for (auto& item : v) self(self, item);
        } else if (v.is_string() && v.get_ref<const std::string&>().starts_with(marker)) {
            const std::string token = v.get<std::string>().substr(marker.size());
            const double inf = std::numeric_limits<double>::infinity();
            v = token == "NaN" ? std::numeric_limits<double>::quiet_NaN() : token == "Infinity" ? inf : -inf;
        }
    };
    restore(restore, parsed);
    return keyMarker ? notJson : parsed;
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
    // json.loads refuses a leading byte order mark, which nlohmann would skip, and takes NaN,
    // Infinity and -Infinity, which nlohmann refuses. (Where else they differ, the two encoders
    // do: lone surrogate escapes and numbers past a double's range, which json.loads takes, and
    // integers past 64 bits, which Python keeps exact.)
    if (arguments.starts_with("\xEF\xBB\xBF")) return nlohmann::ordered_json{{"arguments", arguments}};
    auto parsed = nlohmann::ordered_json::parse(arguments, nullptr, false);
    if (parsed.is_discarded()) parsed = parseWithNonFinite(arguments);
    if (parsed.is_discarded()) return nlohmann::ordered_json{{"arguments", arguments}};
    if (!parsed.is_object()) return std::nullopt;
    return parsed;
}

}  // namespace atelier::engine::chat
