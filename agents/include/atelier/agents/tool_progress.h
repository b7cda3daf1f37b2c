#pragma once
// Progress of a tool call as it runs (an MCP server's notifications/progress), routed to whoever
// made the call on this thread: a team run turns it into a `tool_progress` event of the agent
// whose call it is. A ToolProgressScope is per thread, so calls on concurrent agent threads each
// report to their own agent. Scopes nest (the inner one wins until it ends).
// The same scope takes the model tokens a tool spends on its caller's behalf while it runs (an
// MCP server's sampling/createMessage answered by the run's model), which a team run charges to
// the calling agent's token budget.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace atelier::agents {

struct ToolProgress {
    double progress = 0;
    std::optional<double> total;
    std::string message;
};

using ToolProgressSink = std::function<void(const ToolProgress&)>;
using ToolTokensSink = std::function<void(std::int64_t tokens)>;

// While alive, reportToolProgress() on the constructing thread goes to `sink`, and
// reportToolModelTokens() to `tokens`. Not movable.
class ToolProgressScope {
public:
    explicit ToolProgressScope(ToolProgressSink sink, ToolTokensSink tokens = {});
    ~ToolProgressScope();
    ToolProgressScope(const ToolProgressScope&) = delete;
    ToolProgressScope& operator=(const ToolProgressScope&) = delete;

private:
    ToolProgressSink m_sink;
    ToolTokensSink m_tokens;
    ToolProgressScope* m_outer;
};

// Hands `progress` to the innermost scope of this thread; false when there is none.
bool reportToolProgress(const ToolProgress& progress);

// Hands `tokens` (prompt and generated tokens of the model, spent for the tool) to the innermost
// scope of this thread; false when there is none or it takes no tokens.
bool reportToolModelTokens(std::int64_t tokens);

}  // namespace atelier::agents
