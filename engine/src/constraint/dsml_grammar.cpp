// compileDsmlGrammar: JSON schemas (nlohmann::json, caught here) to SchemaNodes and the sorted,
// prefix-free literal lists the byte machine matches. Prefix-freeness is what lets the machine
// decide that a literal is complete the moment its last byte arrives.

#include "constraint/dsml_grammar.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "chat/dsv4_tokens.h"

namespace atelier::engine::constraint {
namespace {

using nlohmann::json;

std::string quoted(const std::string& s) {
    return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

class Compiler {
public:
    explicit Compiler(DsmlGrammar& g) : m_g(g) {}

    Result<int> addList(ListKind kind, std::vector<std::pair<std::string, int>> entries,
                        const std::string& where) {
        std::sort(entries.begin(), entries.end());
        LitList list;
        list.kind = kind;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (i > 0 && entries[i].first.starts_with(entries[i - 1].first))
                return unexpected(Error::badInput(where + ": \"" + entries[i - 1].first +
                                                  "\" is repeated or a prefix of another name"));
            list.texts.push_back(entries[i].first);
            list.args.push_back(entries[i].second);
        }
        m_g.lists.push_back(std::move(list));
        return int(m_g.lists.size() - 1);
    }

    Result<int> node(const json& s, int depth, const std::string& where);
    Result<bool> tool(const ToolSchemaSpec& spec);

private:
    Result<int> finish(SchemaNode n, const std::string& where) {
        if (!n.enumStrings.empty()) {
            std::vector<std::pair<std::string, int>> e;
            for (const auto& v : n.enumStrings) e.emplace_back(quoted(v), 0);
            auto l = addList(ListKind::StringEnum, std::move(e), where + " enum");
            if (!l) return unexpected(l.error());
            n.stringEnum = *l;
        }
        m_g.nodes.push_back(std::move(n));
        return int(m_g.nodes.size() - 1);
    }
    Result<bool> object(SchemaNode& n, const json& s, int depth, const std::string& where);
    Result<int> anyOf(const json& branches, int depth, const std::string& where);
    DsmlGrammar& m_g;
};

std::uint8_t typeBit(const std::string& t) {
    if (t == "null") return kNull;
    if (t == "boolean") return kBool;
    if (t == "integer") return kInteger;
    if (t == "number") return kNumber | kInteger;
    if (t == "string") return kString;
    if (t == "object") return kObject;
    if (t == "array") return kArray;
    return 0;
}

std::uint8_t valueType(const json& v) {
    if (v.is_null()) return kNull;
    if (v.is_boolean()) return kBool;
    if (v.is_number_integer()) return kInteger;
    if (v.is_number()) return kNumber | kInteger;
    if (v.is_string()) return kString;
    return v.is_object() ? kObject : kArray;
}

Result<bool> Compiler::object(SchemaNode& n, const json& s, int depth, const std::string& where) {
    const auto props = s.find("properties");
    const auto extra = s.find("additionalProperties");
    n.anyKeys = props == s.end() && !(extra != s.end() && extra->is_boolean() && !extra->get<bool>());
    if (props == s.end() || !props->is_object()) return true;
    if (props->size() > std::size_t(kMaxProperties))
        return unexpected(Error::badInput(where + ": more than 64 properties"));
    std::vector<std::pair<std::string, int>> keys;
    for (auto it = props->begin(); it != props->end(); ++it) {
        auto child = node(it.value(), depth + 1, where + "." + it.key());
        if (!child) return unexpected(child.error());
        keys.emplace_back(quoted(it.key()), int(n.propNodes.size()));
        n.propNodes.push_back(*child);
    }
    if (auto req = s.find("required"); req != s.end() && req->is_array())
        for (const auto& r : *req)
            for (const auto& k : keys)
                if (r.is_string() && k.first == quoted(r.get<std::string>())) n.required |= 1ull << k.second;
    auto list = addList(ListKind::ObjectKey, std::move(keys), where + " properties");
    if (!list) return unexpected(list.error());
    n.keyList = *list;
    return true;
}

// anyOf / oneOf: the union of the branches' types; object and array details are kept when one
// branch alone supplies them (two object branches admit any object).
Result<int> Compiler::anyOf(const json& branches, int depth, const std::string& where) {
    SchemaNode n;
    n.types = 0;
    int objects = 0, arrays = 0;
    bool freeString = false;
    for (std::size_t i = 0; i < branches.size(); ++i) {
        auto b = node(branches[i], depth + 1, where + "/" + std::to_string(i));
        if (!b) return unexpected(b.error());
        const SchemaNode bn = m_g.nodes[std::size_t(*b)];
        n.types |= bn.types;
        if (bn.types & kObject && objects++ == 0) {
            n.propNodes = bn.propNodes, n.required = bn.required, n.keyList = bn.keyList;
            n.anyKeys = bn.anyKeys;
        }
        if (bn.types & kArray && arrays++ == 0) n.items = bn.items;
        if (bn.types & kString) {
            if (bn.enumStrings.empty()) freeString = true;
            n.enumStrings.insert(n.enumStrings.end(), bn.enumStrings.begin(), bn.enumStrings.end());
        }
    }
    if (objects > 1) n.propNodes.clear(), n.required = 0, n.keyList = -1, n.anyKeys = true;
    if (arrays > 1) n.items = 0;
    if (freeString) n.enumStrings.clear();
    std::sort(n.enumStrings.begin(), n.enumStrings.end());
    n.enumStrings.erase(std::unique(n.enumStrings.begin(), n.enumStrings.end()), n.enumStrings.end());
    if (n.types == 0) n.types = kAnyType;
    return finish(std::move(n), where);
}

// minimum / maximum / exclusiveMinimum / exclusiveMaximum of an integer-only schema (integral
// bounds; a fractional bound is rounded inward). Bounds beyond ±1e15 constrain nothing.
void integerBounds(SchemaNode& n, const json& s) {
    constexpr double kLimit = 1e15;
    auto bound = [&s](const char* key, double& out) {
        const auto it = s.find(key);
        if (it == s.end() || !it->is_number()) return false;
        out = it->get<double>();
        return out > -kLimit && out < kLimit;
    };
    double v = 0;
    if (bound("minimum", v)) n.hasMin = true, n.minimum = std::int64_t(std::ceil(v));
    if (bound("exclusiveMinimum", v)) {
        const std::int64_t m = std::int64_t(std::floor(v)) + 1;
        n.minimum = n.hasMin ? std::max(n.minimum, m) : m;
        n.hasMin = true;
    }
    if (bound("maximum", v)) n.hasMax = true, n.maximum = std::int64_t(std::floor(v));
    if (bound("exclusiveMaximum", v)) {
        const std::int64_t m = std::int64_t(std::ceil(v)) - 1;
        n.maximum = n.hasMax ? std::min(n.maximum, m) : m;
        n.hasMax = true;
    }
}

Result<int> Compiler::node(const json& s, int depth, const std::string& where) {
    if (depth > kMaxSchemaDepth) return unexpected(Error::badInput(where + ": nested too deeply"));
    if (s.is_boolean() && s.get<bool>()) return 0;
    if (!s.is_object()) return unexpected(Error::badInput(where + ": a schema must be an object"));
    for (const char* key : {"anyOf", "oneOf"})
        if (auto b = s.find(key); b != s.end() && b->is_array() && !b->empty())
            return anyOf(*b, depth, where);
    SchemaNode n;
    n.types = 0;
    const auto en = s.contains("enum") ? s.find("enum") : s.find("const");
    if (en != s.end()) {
        const json values = en->is_array() && s.contains("enum") ? *en : json::array({*en});
        for (const auto& v : values) {
            n.types |= valueType(v);
            if (v.is_string()) n.enumStrings.push_back(v.get<std::string>());
        }
    } else if (auto t = s.find("type"); t != s.end()) {
        for (const auto& one : t->is_array() ? *t : json::array({*t}))
            if (one.is_string()) n.types |= typeBit(one.get<std::string>());
    } else {
        n.types = s.contains("properties") ? kObject : s.contains("items") ? kArray : kAnyType;
    }
    if (n.types == 0) return unexpected(Error::badInput(where + ": admits no JSON value"));
    if (n.types == kInteger) integerBounds(n, s);
    if (n.types & kObject) {
        auto ok = object(n, s, depth, where);
        if (!ok) return unexpected(ok.error());
    }
    if (auto it = s.find("items"); n.types & kArray && it != s.end() && it->is_object()) {
        auto items = node(*it, depth + 1, where + "[]");
        if (!items) return unexpected(items.error());
        n.items = *items;
    }
    return finish(std::move(n), where);
}

Result<bool> Compiler::tool(const ToolSchemaSpec& spec) {
    const std::string where = "tool \"" + spec.name + "\"";
    if (spec.name.empty() || spec.name.find_first_of("\"\n") != std::string::npos)
        return unexpected(Error::badInput(where + ": a tool name must be non-empty, without \" or newline"));
    json schema;
    try {
        schema = spec.parametersJson.empty() ? json::object() : json::parse(spec.parametersJson);
    } catch (const json::exception& e) {
        return unexpected(Error::badInput(where + ": parameters are not valid JSON: " + e.what()));
    }
    if (!schema.is_object() || (schema.contains("type") && schema["type"] != "object"))
        return unexpected(Error::badInput(where + ": parameters must be an object schema"));
    schema["type"] = "object";
    auto top = node(schema, 0, where);
    if (!top) return unexpected(top.error());
    const SchemaNode root = m_g.nodes[std::size_t(*top)];
    CompiledTool t;
    t.name = spec.name;
    t.required = root.required;
    std::vector<std::pair<std::string, int>> names;
    if (root.keyList >= 0) {
        const LitList keys = m_g.lists[std::size_t(root.keyList)];
        for (std::size_t i = 0; i < keys.texts.size(); ++i) {
            const std::string name = json::parse(keys.texts[i]).get<std::string>();
            if (name.find('"') != std::string::npos)
                return unexpected(Error::badInput(where + ": parameter name " + keys.texts[i] + " contains \""));
            names.emplace_back(name + "\" string=\"", keys.args[i]);
        }
    }
    t.params.resize(root.propNodes.size());
    for (std::size_t i = 0; i < root.propNodes.size(); ++i) {
        ToolParam& p = t.params[i];
        p.node = root.propNodes[i];
        SchemaNode f = m_g.nodes[std::size_t(p.node)];
        p.allowTrue = f.types & kString;
        f.types &= std::uint8_t(~kString);
        f.enumStrings.clear();
        f.stringEnum = -1;
        p.allowFalse = f.types != 0;
        m_g.nodes.push_back(f);
        p.falseNode = int(m_g.nodes.size() - 1);
        const auto& enums = m_g.nodes[std::size_t(p.node)].enumStrings;
        if (!enums.empty()) {
            std::vector<std::pair<std::string, int>> e;
            for (const auto& v : enums)
                if (v.find(chat::kParamEnd) == std::string::npos) e.emplace_back(v + std::string(chat::kParamEnd), 0);
            auto l = addList(ListKind::RawEnum, std::move(e), where + " enum");
            if (!l) return unexpected(l.error());
            p.rawEnum = *l;
        }
    }
    auto list = addList(ListKind::ParamName, std::move(names), where + " parameters");
    if (!list) return unexpected(list.error());
    t.paramList = *list;
    m_g.tools.push_back(std::move(t));
    return true;
}

}  // namespace

Result<DsmlGrammar> compileDsmlGrammar(const std::vector<ToolSchemaSpec>& tools,
                                       const DsmlConstraintOptions& options) {
    DsmlGrammar g;
    g.options = options;
    g.nodes.push_back(SchemaNode{});  // [0]: any value
    Compiler c(g);
    using chat::kInvokeEnd, chat::kInvokeStart, chat::kParamEnd, chat::kParamStart;
    auto fixed = [&](ListKind kind, std::vector<std::pair<std::string, int>> e) {
        return *c.addList(kind, std::move(e), "DSML");
    };
    g.openFull = fixed(ListKind::Open, {{std::string(chat::kToolCallsStart) + ">\n", 0}});
    g.openTail = fixed(ListKind::Open, {{">\n", 0}});
    g.item = fixed(ListKind::Item, {{std::string(kInvokeStart), kItemInvoke},
                                     {std::string(chat::kToolCallsEnd), kItemEnd}});
    g.paramOrEnd = fixed(ListKind::ParamOrEnd, {{"\n", kPoeNewline},
                                                 {std::string(kParamStart), kPoeParam},
                                                 {std::string(kInvokeEnd), kPoeEnd}});
    g.kind = fixed(ListKind::Kind, {{"true\">", kKindTrue}, {"false\">", kKindFalse}});
    g.newline = fixed(ListKind::Newline, {{"\n", 0}});
    g.valueEnd = fixed(ListKind::ValueEnd, {{std::string(kParamEnd) + "\n", 0}});
    g.words = fixed(ListKind::Words, {{"false", kWordFalse}, {"null", kWordNull}, {"true", kWordTrue}});
    std::vector<std::pair<std::string, int>> names;
    for (const auto& spec : tools) {
        auto ok = c.tool(spec);
        if (!ok) return unexpected(ok.error());
        names.emplace_back(spec.name + "\">\n", int(g.tools.size() - 1));
    }
    auto list = c.addList(ListKind::ToolName, std::move(names), "tools");
    if (!list) return unexpected(list.error());
    g.toolNames = *list;
    return g;
}

Result<DsmlGrammar> compileJsonGrammar(std::string_view schemaJson, const DsmlConstraintOptions& options) {
    json schema;
    try {
        schema = json::parse(schemaJson);
    } catch (const json::exception& e) {
        return unexpected(Error::badInput(std::string("schema: not valid JSON: ") + e.what()));
    }
    auto g = compileDsmlGrammar({}, options);
    if (!g) return unexpected(g.error());
    Compiler c(*g);
    auto root = c.node(schema, 0, "schema");
    if (!root) return unexpected(root.error());
    g->jsonRoot = *root;
    return g;
}

}  // namespace atelier::engine::constraint
