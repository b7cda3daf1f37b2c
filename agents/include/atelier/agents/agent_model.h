#pragma once
// AgentModel: what the team runtime asks of a language model. Given an agent's conversation and
// the tools it is offered, generate one assistant turn (reasoning, content, tool calls, usage),
// reporting the pieces as events while they are generated. The real implementation is
// BackendAgentModel (backend_agent_model.h: one turn through the turn API, on the local engine
// or a remote server); tests use a scripted double (tests/agents/scripted_test_model.h).
// Threads: generate() is called from several agent threads at once and blocks its caller until
// the turn is complete; implementations must be thread-safe. onEvent runs on the thread that
// generates (the caller's or the engine's) and must not block for long.

#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/agents/chat_backend.h"
#include "atelier/engine/chat_format.h"
#include "atelier/base/result.h"
#include "atelier/engine/token_constraint.h"
#include "atelier/engine/tokenizer.h"

namespace atelier::agents {

// A tool as offered to a model: its name, what it does, and a JSON schema of its arguments.
struct ToolSpec {
    std::string name;
    std::string description;
    nlohmann::json parameters;  // {"type":"object",...}
};

// Builds a grammar constraint for a set of offered tools, for the tokenizer of the local backend
// that runs the turn (grammar-constrained decoding is provided elsewhere: dsml_constraints.h;
// the runtime only passes the factory on to the model). A remote backend never calls it.
using ConstraintFactory = std::function<std::shared_ptr<engine::TokenConstraint>(
    const engine::Tokenizer& tokenizer, const std::vector<ToolSpec>& tools)>;

struct TurnUsage {
    std::int64_t promptTokens = 0;
    std::int64_t cachedTokens = 0;      // prompt tokens forked from a prefix cache
    std::int64_t completionTokens = 0;

    nlohmann::json toJson() const;
};

struct AgentToolCall {
    std::string name;
    std::string arguments;  // JSON text as the model wrote it; may be malformed
};

struct AgentTurn {
    std::string reasoning;
    std::string content;
    std::vector<AgentToolCall> toolCalls;
    TurnUsage usage;
    bool cancelled = false;      // stopped by the stop token before it was complete
    bool truncated = false;      // ended by the token limit, not by the model
    TurnCut cut = TurnCut::None;  // truncated: where it stopped
    std::string cutTool;         // TurnCut::ToolCall: the tool being called ("" if not yet named)
    std::string formatError;     // the turn was not well-formed DSML ("" when it was)
};

enum class TurnEventKind { Reasoning, Content, ToolCall, Usage };

struct TurnEvent {
    TurnEventKind kind = TurnEventKind::Content;
    std::string text;           // reasoning / content delta; the tool name for ToolCall
    std::string arguments;      // ToolCall only
    TurnUsage usage;            // Usage only
};

struct TurnRequest {
    std::string agent;                           // who is asking (for scripts and logs)
    std::vector<engine::ChatMessage> messages;   // the whole conversation so far
    std::vector<ToolSpec> tools;                 // offered tools (may be empty)
    std::int64_t maxTokens = 0;                  // generated tokens at most (0: no limit)
    std::stop_token stop;                        // cancels the turn
    ConstraintFactory constraint;                // optional
    bool requireToolCall = false;                // the turn must call a tool (tool_choice "required")
    std::function<void(const TurnEvent&)> onEvent;  // optional
};

class AgentModel {
public:
    virtual ~AgentModel() = default;
    // One assistant turn. Errors: the conversation does not fit, the engine failed.
    virtual Result<AgentTurn> generate(const TurnRequest& request) = 0;
};

// The `function` objects of `tools` serialised as the chat format renders them on a system
// message (ChatMessage::toolSchemas).
Result<std::vector<std::string>> toolSchemaTexts(const std::vector<ToolSpec>& tools);

}  // namespace atelier::agents
