#pragma once
// Grammar-constrained JSON replies (OpenAI's response_format): a TokenConstraint under which
// the answer (after any reasoning, in thinking modes) is exactly one JSON value (RFC 8259) of
// a schema, then the end of the turn. Built on the DSML constraint's JSON layer
// (dsml_constraint.h), so the same schema subset is enforced: `type` (one or a list),
// `enum`/`const`, `properties` with `required`, `items`, `anyOf`/`oneOf`, integer bounds;
// other keywords constrain nothing. Bounds keep every reply finite: strings up to
// maxStringChars, arrays up to maxArrayItems, objects without declared properties up to 16
// keys, 32 whitespace bytes in a row, numbers up to 15 digits; strings never contain the DSML
// parameter end tag. A reply cut by the token limit is not closed (finish_reason "length").
// Threads: as dsml_constraint.h.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "atelier/base/result.h"
#include "atelier/engine/chat_format.h"
#include "atelier/engine/token_constraint.h"
#include "atelier/engine/tokenizer.h"

namespace atelier::engine {

struct JsonConstraintOptions {
    ChatMode mode = ChatMode::Chat;  // Thinking/Max: reasoning first, unconstrained
    // The JSON schema of the reply, as text; `{"type": "object"}` is any JSON object.
    std::string schemaJson = R"({"type": "object"})";
    std::size_t maxStringChars = 4096;
    std::size_t maxArrayItems = 64;
    bool referenceMasks = false;  // tests: see DsmlConstraintOptions
};

// Whether `schemaJson` is a schema the constraint can compile; errors name what is malformed.
Result<void> checkJsonSchema(std::string_view schemaJson);

Result<std::shared_ptr<TokenConstraint>> makeJsonConstraint(const Tokenizer& tokenizer,
                                                            JsonConstraintOptions options);

}  // namespace atelier::engine
