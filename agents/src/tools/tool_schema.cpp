// Bounds on tool schemas and arguments (see tool_schema.h).

#include "atelier/agents/tool_schema.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "atelier/agents/bounded_regex.h"

namespace atelier::agents {
using nlohmann::json;

namespace {

// JSON Schema patterns are ECMA-262 regular expressions: \uXXXX and \xHH escapes (ALT_BSUX),
// ASCII \d and \w.
constexpr std::uint32_t kEcmaOptions = PCRE2_ALT_BSUX;
// Longest `$ref` / `id` string: valijson matches them with std::regex.
constexpr std::size_t kMaxUriBytes = 1024;
// All pattern matching for one call's arguments.
constexpr std::chrono::seconds kPatternBudget{2};

// Keywords whose value is one subschema, an array of subschemas, or a map of them.
const std::set<std::string> kSingle = {"not", "additionalProperties", "additionalItems", "contains",
                                       "propertyNames", "if", "then", "else"};
const std::set<std::string> kArrays = {"allOf", "anyOf", "oneOf"};
const std::set<std::string> kMaps = {"properties", "patternProperties", "definitions", "$defs",
                                     "dependencies", "dependentSchemas"};

bool isSchema(const json& j) { return j.is_object() || j.is_boolean(); }

// Calls visit(pointer, subschema) for each direct subschema of `node` (at pointer `at`).
void forEachSubschema(const json& node, const json::json_pointer& at,
                      const std::function<void(const json::json_pointer&, const json&)>& visit) {
    for (const auto& [key, value] : node.items()) {
        if ((kSingle.count(key) || key == "items") && isSchema(value)) {
            visit(at / key, value);
        } else if ((kArrays.count(key) || key == "items" || key == "type") && value.is_array()) {
            for (std::size_t i = 0; i < value.size(); ++i)
                if (value[i].is_object() || (key != "type" && value[i].is_boolean())) visit(at / key / i, value[i]);
        } else if (kMaps.count(key) && value.is_object()) {
            for (const auto& [name, sub] : value.items())
                if (isSchema(sub)) visit(at / key / name, sub);
        }
    }
}

struct RefSite {
    std::string site;    // canonical pointer of the node holding the $ref
    std::string target;  // canonical pointer it refers to
};

// Whether pointer `inner` is `outer` or below it.
bool within(const std::string& inner, const std::string& outer) {
    return inner.size() >= outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
           (inner.size() == outer.size() || inner[outer.size()] == '/' || outer.empty());
}

struct SchemaChecker {
    const json& root;
    std::set<std::string> schemaNodes;  // canonical pointers of every node the walk saw as a schema
    std::vector<RefSite> refs;
    std::string problem;

    void walk(const json& node, const json::json_pointer& at) {
        if (!problem.empty()) return;
        const std::string here = at.to_string();
        schemaNodes.insert(here);
        if (!node.is_object()) return;
        for (const char* uriKey : {"$ref", "id", "$id", "$schema"}) {
            if (node.contains(uriKey) && node[uriKey].is_string() &&
                node[uriKey].get_ref<const std::string&>().size() > kMaxUriBytes) {
                problem = std::string("\"") + uriKey + "\" at '" + here + "' is over " +
                          std::to_string(kMaxUriBytes) + " bytes";
                return;
            }
        }
        if (node.contains("$ref")) {
            const json& ref = node["$ref"];
            if (!ref.is_string() || (ref != "#" && !ref.get_ref<const std::string&>().starts_with("#/"))) {
                problem = "the $ref at '" + here + "' is not a local reference (\"#\" or \"#/...\")";
                return;
            }
            try {
                const json::json_pointer target(ref.get<std::string>().substr(1));
                if (!root.contains(target)) {
                    problem = "the $ref at '" + here + "' refers to nothing: " + ref.get<std::string>();
                    return;
                }
                refs.push_back({here, target.to_string()});
            } catch (const std::exception& e) {
                problem = "the $ref at '" + here + "' is not a JSON pointer: " + e.what();
                return;
            }
        }
        if (node.contains("pattern") && node["pattern"].is_string()) checkPattern(node["pattern"], here);
        if (node.contains("patternProperties") && node["patternProperties"].is_object())
            for (const auto& [p, unused] : node["patternProperties"].items()) checkPattern(p, here);
        forEachSubschema(node, at, [&](const json::json_pointer& p, const json& sub) { walk(sub, p); });
    }

    void checkPattern(const std::string& pattern, const std::string& here) {
        if (!problem.empty()) return;
        if (auto re = BoundedRegex::compile(pattern, kEcmaOptions); !re)
            problem = "the pattern '" + pattern.substr(0, 80) + "' at '" + here + "': " + re.error().message;
    }

    // A $ref cycle: following refs (a ref site inside a ref's target is reached through it)
    // comes back to where it started. Recursive schemas are refused with it: validating them
    // recurses as deep as the arguments, and a cycle of bare refs never ends.
    std::string cycle() const {
        const std::size_t n = refs.size();
        std::vector<std::vector<std::size_t>> next(n);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j)
                if (within(refs[j].site, refs[i].target)) next[i].push_back(j);
        std::vector<int> state(n, 0);  // 0 unseen, 1 on the path, 2 done
        for (std::size_t start = 0; start < n; ++start) {
            if (state[start]) continue;
            std::vector<std::pair<std::size_t, std::size_t>> stack{{start, 0}};  // node, next edge
            state[start] = 1;
            while (!stack.empty()) {
                auto& [v, e] = stack.back();
                if (e == next[v].size()) {
                    state[v] = 2;
                    stack.pop_back();
                    continue;
                }
                const std::size_t w = next[v][e++];
                if (state[w] == 1) return "the $ref at '" + refs[w].site + "' (to '#" + refs[w].target + "') is part of a cycle";
                if (state[w] == 0) {
                    state[w] = 1;
                    stack.push_back({w, 0});
                }
            }
        }
        return {};
    }
};

// Strings in the arguments: every string value, and every object key separately.
void collectStrings(const json& args, std::set<std::string>& values, std::set<std::string>& keys) {
    std::vector<const json*> stack{&args};
    while (!stack.empty()) {
        const json* j = stack.back();
        stack.pop_back();
        if (j->is_string()) {
            values.insert(j->get<std::string>());
        } else if (j->is_object()) {
            for (const auto& [k, v] : j->items()) {
                keys.insert(k);
                stack.push_back(&v);
            }
        } else if (j->is_array()) {
            for (const auto& v : *j) stack.push_back(&v);
        }
    }
}

bool validDate(int month, int day) {
    if (month == 2) return day <= 29;
    if (month == 4 || month == 6 || month == 9 || month == 11) return day <= 30;
    return true;
}

struct SchemaRewriter {
    std::set<std::string> strings;  // string values and keys: what a `pattern` may be applied to
    std::set<std::string> keys;     // object keys: what `patternProperties` may be applied to
    std::chrono::steady_clock::time_point deadline;
    std::map<std::string, BoundedRegex> compiled;
    std::string* why = nullptr;
    std::optional<Error> failure;

    // Whether `text` matches `pattern`, or the error that stopped the match.
    Result<bool> matches(const std::string& pattern, const std::string& text) {
        if (std::chrono::steady_clock::now() > deadline)
            return unexpected(ErrorCode::Overflow, "checking the arguments' patterns took over " +
                                                       std::to_string(kPatternBudget.count()) + " s");
        auto it = compiled.find(pattern);
        if (it == compiled.end()) {
            auto re = BoundedRegex::compile(pattern, kEcmaOptions);
            if (!re) return unexpected(Error::internal("invalid tool schema: " + re.error().message));
            it = compiled.emplace(pattern, std::move(*re)).first;
        }
        auto found = it->second.search(text);
        if (!found)
            return unexpected(found.error().code,
                              "the schema's pattern '" + pattern.substr(0, 80) + "': " + found.error().message);
        return *found;
    }

    Result<bool> formatHolds(const std::string& format, const std::string& s) {
        static const std::string date = "([0-9]+)-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])";
        static const std::string time =
            "([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\\.[0-9]+)?(([Zz])|([\\+|\\-]([01][0-9]|2[0-3]):[0-5][0-9]))";
        const std::string pattern = format == "date" ? "^" + date + "$"
                                    : format == "time" ? "^" + time + "$"
                                                       : "^" + date + "[Tt]" + time + "$";
        auto ok = matches(pattern, s);
        if (!ok && ok.error().code == ErrorCode::Overflow && std::chrono::steady_clock::now() <= deadline)
            return false;  // too costly to match this format is not a date either
        if (!ok || !*ok || format == "time") return ok;
        const std::size_t dash = s.find('-');
        return validDate(std::stoi(s.substr(dash + 1, 2)), std::stoi(s.substr(dash + 4, 2)));
    }

    void addAllOf(json& node, json constraint) {
        if (!node.contains("allOf") || !node["allOf"].is_array()) node["allOf"] = json::array();
        node["allOf"].push_back(std::move(constraint));
    }

    void rewrite(json& node) {
        if (failure || !node.is_object()) return;
        forEachSubschemaMutable(node);
        if (node.contains("pattern") && node["pattern"].is_string()) {
            const std::string pattern = node["pattern"];
            json refused = json::array();
            for (const auto& s : strings) {
                auto ok = matches(pattern, s);
                if (!ok) {
                    failure = ok.error();
                    return;
                }
                if (!*ok) {
                    refused.push_back(s);
                    if (why && why->empty())
                        *why = "'" + s.substr(0, 40) + (s.size() > 40 ? "...'" : "'") +
                               " does not match the pattern '" + pattern.substr(0, 80) + "'";
                }
            }
            node.erase("pattern");
            if (!refused.empty()) addAllOf(node, {{"not", {{"enum", std::move(refused)}}}});
        }
        if (node.contains("format")) {
            const json format = node["format"];
            node.erase("format");  // valijson reads any format's value as a string, even a number
            if (format == "date" || format == "time" || format == "date-time") {
                json refused = json::array();
                for (const auto& s : strings) {
                    auto holds = formatHolds(format, s);
                    if (!holds) {
                        failure = holds.error();
                        return;
                    }
                    if (!*holds) refused.push_back(s);
                }
                if (!refused.empty()) addAllOf(node, {{"not", {{"enum", std::move(refused)}}}});
            }
        }
        if (node.contains("patternProperties")) {
            const json patterns = node["patternProperties"];
            node.erase("patternProperties");
            if (!patterns.is_object()) return;
            for (const auto& [pattern, sub] : patterns.items()) {
                for (const auto& k : keys) {
                    auto ok = matches(pattern, k);
                    if (!ok) {
                        failure = ok.error();
                        return;
                    }
                    if (!*ok) continue;
                    json rewritten = sub;
                    rewrite(rewritten);
                    // A key already named in `properties` is already "matched" for
                    // additionalProperties; one that is not becomes so, as the pattern made it.
                    if (!node.contains("properties") || !node["properties"].is_object())
                        node["properties"] = json::object();
                    if (!node["properties"].contains(k)) node["properties"][k] = std::move(rewritten);
                    else addAllOf(node, {{"properties", {{k, std::move(rewritten)}}}});
                }
            }
        }
    }

    void forEachSubschemaMutable(json& node) {
        for (auto& [key, value] : node.items()) {
            if ((kSingle.count(key) || key == "items") && value.is_object()) {
                rewrite(value);
            } else if ((kArrays.count(key) || key == "items" || key == "type") && value.is_array()) {
                for (auto& v : value) rewrite(v);
            } else if (kMaps.count(key) && key != "patternProperties" && value.is_object()) {
                for (auto& [name, sub] : value.items()) rewrite(sub);
            }
        }
    }
};

bool mentionsStringKeywords(const json& schema) {
    std::vector<const json*> stack{&schema};
    while (!stack.empty()) {
        const json* j = stack.back();
        stack.pop_back();
        if (j->is_object()) {
            if (j->contains("pattern") || j->contains("patternProperties") || j->contains("format")) return true;
            for (const auto& [k, v] : j->items()) stack.push_back(&v);
        } else if (j->is_array()) {
            for (const auto& v : *j) stack.push_back(&v);
        }
    }
    return false;
}

}  // namespace

int jsonDepth(const json& value, int limit) {
    int deepest = 0;
    std::vector<std::pair<const json*, int>> stack{{&value, 0}};
    while (!stack.empty()) {
        auto [j, depth] = stack.back();
        stack.pop_back();
        if (!j->is_structured()) continue;
        deepest = std::max(deepest, depth + 1);
        if (deepest > limit) return limit + 1;
        for (const auto& child : *j) stack.push_back({&child, depth + 1});
    }
    return deepest;
}

json parseJsonBounded(std::string_view text, int maxDepth) {
    int depth = 0;
    bool inString = false, escaped = false;
    for (char c : text) {
        if (inString) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > maxDepth) return json(json::value_t::discarded);
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return json::parse(text, nullptr, /*allow_exceptions=*/false);
}

Result<void> checkToolSchema(const json& schema) {
    if (!schema.is_object()) return unexpected(Error::internal("the schema is not an object"));
    std::size_t nodes = 0;
    std::vector<std::pair<const json*, int>> stack{{&schema, 1}};
    while (!stack.empty()) {
        auto [j, depth] = stack.back();
        stack.pop_back();
        if (++nodes > kMaxSchemaNodes)
            return unexpected(Error::internal("the schema has over " + std::to_string(kMaxSchemaNodes) + " values"));
        if (!j->is_structured()) continue;
        if (depth > kMaxSchemaDepth)
            return unexpected(Error::internal("the schema nests over " + std::to_string(kMaxSchemaDepth) + " levels deep"));
        for (const auto& child : *j) stack.push_back({&child, depth + 1});
    }
    SchemaChecker checker{schema, {}, {}, {}};
    checker.walk(schema, json::json_pointer());
    if (!checker.problem.empty()) return unexpected(Error::internal(checker.problem));
    for (const auto& r : checker.refs) {
        if (!checker.schemaNodes.count(r.target))
            return unexpected(Error::internal("the $ref at '" + r.site + "' refers to '#" + r.target +
                                              "', which is not a schema"));
        if (r.target.find("/patternProperties/") != std::string::npos)
            return unexpected(Error::internal("the $ref at '" + r.site + "' refers into patternProperties"));
    }
    if (auto cycle = checker.cycle(); !cycle.empty()) return unexpected(Error::internal(cycle));
    return {};
}

Result<json> boundedSchemaFor(const json& schema, const json& args, std::string* why) {
    if (!mentionsStringKeywords(schema)) return schema;
    SchemaRewriter rewriter;
    collectStrings(args, rewriter.strings, rewriter.keys);
    rewriter.strings.insert(rewriter.keys.begin(), rewriter.keys.end());  // propertyNames apply patterns to keys
    rewriter.deadline = std::chrono::steady_clock::now() + kPatternBudget;
    rewriter.why = why;
    json bounded = schema;
    rewriter.rewrite(bounded);
    if (rewriter.failure) return unexpected(*rewriter.failure);
    return bounded;
}

}  // namespace atelier::agents
