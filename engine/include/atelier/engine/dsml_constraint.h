#pragma once
// Grammar-constrained DSML decoding (model spec §11): a TokenConstraint that lets a model write
// free text, but once it opens a `<｜DSML｜tool_calls>` block, only well-formed calls of the
// offered tools whose arguments satisfy each tool's JSON schema, then the end of the turn.
// * Reasoning (before `</think>` in thinking modes) is unconstrained.
// * Content is free text that the chat-format parser accepts: `｜DSML｜` may only appear as
//   part of the exact opening `\n\n<｜DSML｜tool_calls>\n`, and `<think>`, `</think>` and the
//   BOS/EOS texts never appear as text (the EOS token ends the turn).
// * Inside the block: known tool names, that tool's parameter names (each once, required ones
//   present), `string="true"` only for parameters that admit a string (an enum's values
//   exactly), `string="false"` with a JSON value of the schema's types (integers, numbers,
//   booleans, null, enums of strings, objects with their properties and required keys,
//   arrays of their items). After `</｜DSML｜tool_calls>` only the end-of-sentence token.
// * With no tools offered the constraint never touches the logits.
// Threads: makeDsmlConstraint and parseToolSchemas may be called from any thread; the
// constraint itself belongs to one request (see token_constraint.h).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/engine/chat_format.h"
#include "atelier/base/result.h"
#include "atelier/engine/token_constraint.h"
#include "atelier/engine/tokenizer.h"

namespace atelier::engine {

// One offered tool: its name and the JSON schema of its arguments (an object schema), as text.
struct ToolSchemaSpec {
    std::string name;
    std::string parametersJson;  // e.g. {"type": "object", "properties": {...}, "required": [...]}
};

// Auto: the model may answer in text or call tools. Required: the answer (after any reasoning)
// is exactly one tool-calls block (OpenAI's tool_choice "required").
enum class ToolChoice { Auto, Required };

struct DsmlConstraintOptions {
    ChatMode mode = ChatMode::Thinking;  // Chat starts in content; Thinking/Max in reasoning
    ToolChoice choice = ToolChoice::Auto;
    // Bounds that keep every block finite (at a bound only the closing text is allowed).
    std::size_t maxStringChars = 4096;  // per string value or JSON string
    std::size_t maxArrayItems = 64;
    std::size_t maxCalls = 16;          // invokes per block
    // Tests: compute every mask by a walk of the whole vocabulary, without splitting string
    // text from its exits (the reference the faster masks are compared with).
    bool referenceMasks = false;
};

// The tools of an OpenAI-style list (`[{"type": "function", "function": {"name", "parameters"}}]`,
// bare function objects, or an object with such a `tools` list). Errors name the index.
Result<std::vector<ToolSchemaSpec>> parseToolSchemas(std::string_view jsonText);

// Compiles the tools' schemas into a DSML grammar over the tokenizer's vocabulary. Errors name
// the tool and what in its schema is malformed (a name with `"`, parameters not an object...).
// Unsupported schema keywords (minimum, pattern, $ref, ...) constrain nothing.
Result<std::shared_ptr<TokenConstraint>> makeDsmlConstraint(const Tokenizer& tokenizer,
                                                            std::vector<ToolSchemaSpec> tools,
                                                            DsmlConstraintOptions options);
inline Result<std::shared_ptr<TokenConstraint>> makeDsmlConstraint(const Tokenizer& tokenizer,
                                                                   std::vector<ToolSchemaSpec> tools,
                                                                   ChatMode mode) {
    DsmlConstraintOptions options;
    options.mode = mode;
    return makeDsmlConstraint(tokenizer, std::move(tools), options);
}

}  // namespace atelier::engine
