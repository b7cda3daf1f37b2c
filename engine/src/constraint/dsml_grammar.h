#pragma once
// DsmlGrammar: the offered tools compiled into what the byte machine (dsml_machine.h) walks:
// JSON-schema nodes, and sorted, prefix-free literal lists (tool names, parameter names, fixed
// DSML tags, enum values, object keys). Immutable after compileDsmlGrammar; any thread reads.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/engine/dsml_constraint.h"
#include "atelier/base/result.h"

namespace atelier::engine::constraint {

// JSON types a schema node admits (bit set).
enum TypeBit : std::uint8_t {
    kNull = 1,
    kBool = 2,
    kInteger = 4,
    kNumber = 8,  // any number (implies integers)
    kString = 16,
    kObject = 32,
    kArray = 64,
    kAnyType = 127,
};

struct SchemaNode {
    std::uint8_t types = kAnyType;
    int stringEnum = -1;                 // literal list of JSON-quoted values, or -1 (any string)
    std::vector<std::string> enumStrings;  // the string values of an enum (empty: any string)
    // Object: declared properties (keys in keyList order), or any keys when anyKeys.
    std::vector<int> propNodes;          // schema node of each property
    std::uint64_t required = 0;          // bit i: property i is required
    int keyList = -1;                    // literal list of JSON-quoted property names
    bool anyKeys = true;
    int items = 0;                       // schema node of array items (0: any)
    // Integer-only values: the schema's bounds (minimum/maximum, exclusive ones folded in).
    bool hasMin = false, hasMax = false;
    std::int64_t minimum = 0, maximum = 0;
};

// What completing an entry of a list means to the machine.
enum class ListKind : std::uint8_t {
    Open,        // "\n\n<｜DSML｜tool_calls>\n" (tool choice Required) or ">\n" (after content)
    Item,        // an invoke or the end of the block
    ToolName,    // NAME">\n
    ParamOrEnd,  // "\n" (blank line after the invoke tag), a parameter, or the invoke's end
    ParamName,   // NAME" string="  (one list per tool)
    Kind,        // true"> / false">
    RawEnum,     // VALUE</｜DSML｜parameter>  (string="true" enum values)
    Newline,     // "\n" after a string value's end tag
    ValueEnd,    // </｜DSML｜parameter>\n after a JSON value
    Words,       // false / null / true
    StringEnum,  // "VALUE" inside JSON
    ObjectKey,   // "KEY" inside JSON
};

struct LitList {
    ListKind kind = ListKind::Item;
    std::vector<std::string> texts;  // sorted bytewise, prefix-free
    std::vector<int> args;           // per entry: tool, property or choice index
};

struct ToolParam {
    int node = 0;       // schema of the value
    int falseNode = 0;  // the same without the string type (string="false" values)
    bool allowTrue = false;
    bool allowFalse = false;
    int rawEnum = -1;   // RawEnum list for string="true", or -1
};

struct CompiledTool {
    std::string name;
    std::vector<ToolParam> params;  // in paramList's entry order (the list's args index this)
    int paramList = -1;
    std::uint64_t required = 0;
};

struct DsmlGrammar {
    DsmlConstraintOptions options;
    std::vector<SchemaNode> nodes;  // [0] admits any JSON value
    std::vector<LitList> lists;
    std::vector<CompiledTool> tools;
    int openFull = -1, openTail = -1, item = -1, toolNames = -1, paramOrEnd = -1, kind = -1;
    int newline = -1, valueEnd = -1, words = -1;
    // A JSON reply grammar (json_constraint.h): the schema node of the reply; -1 for DSML.
    int jsonRoot = -1;
};

// Entry order of the fixed lists (their `args`).
inline constexpr int kItemInvoke = 0, kItemEnd = 1;
inline constexpr int kPoeNewline = 0, kPoeParam = 1, kPoeEnd = 2;
inline constexpr int kKindTrue = 0, kKindFalse = 1;
inline constexpr int kWordFalse = 0, kWordNull = 1, kWordTrue = 2;

inline constexpr int kMaxProperties = 64;  // per object (a bit set tracks the ones seen)
inline constexpr int kMaxSchemaDepth = 10;

Result<DsmlGrammar> compileDsmlGrammar(const std::vector<ToolSchemaSpec>& tools,
                                       const DsmlConstraintOptions& options);
// The grammar of a reply that is one JSON value of `schemaJson` (no tools). Errors name
// what in the schema is malformed.
Result<DsmlGrammar> compileJsonGrammar(std::string_view schemaJson, const DsmlConstraintOptions& options);

}  // namespace atelier::engine::constraint
