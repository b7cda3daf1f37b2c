#pragma once
// The engine's DSML grammar (engine/dsml_constraint.h) as the constraint factories of the team
// runtime (agent_model.h) and of the chat backend behind `serve` (local_chat_backend.h): when
// tools are offered, every tool call the model writes is well-formed DSML whose arguments
// satisfy the tool's schema; text outside a call stays free.
// A schema the grammar cannot compile is logged once per call and that turn runs unconstrained
// (the tool registry still validates the arguments before anything runs).
// Threads: the factories may be called from any thread; each constraint belongs to one request.

#include <cstddef>

#include "atelier/agents/agent_model.h"
#include "atelier/agents/local_chat_backend.h"
#include "atelier/engine/chat_format.h"
#include "atelier/engine/tokenizer.h"

namespace atelier::agents {

// For the runtime. `requireCall`: the turn must be exactly one tool-calls block (after any
// reasoning), like OpenAI's tool_choice "required".
// `maxValueChars` bounds every string value of a call (at the bound only its closing text is
// allowed); `maxCalls` the invokes of one tool-calls block.
ConstraintFactory dsmlConstraintFactory(engine::ChatMode mode, bool requireCall = false,
                                        std::size_t maxValueChars = 1024, std::size_t maxCalls = 16);

// For LocalChatBackend: tool_choice "required" (or a named function) forces one tool-calls
// block; "none" and requests without tools are left unconstrained; parallelToolCalls false
// allows one invoke. A request with a responseSchema gets the JSON reply constraint
// (json_constraint.h) instead.
ChatConstraintFactory dsmlChatConstraintFactory();

}  // namespace atelier::agents
