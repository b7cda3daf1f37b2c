#pragma once
// Progress of a tool call as it runs (an MCP server's notifications/progress), routed to whoever
// made the call on this thread: a team run turns it into a `tool_progress` event of the agent
// whose call it is. A ToolProgressScope is per thread, so calls on concurrent agent threads each
// report to their own agent. Scopes nest (the inner one wins until it ends).

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

// While alive, reportToolProgress() on the constructing thread goes to `sink`. Not movable.
class ToolProgressScope {
public:
    explicit ToolProgressScope(ToolProgressSink sink);
    ~ToolProgressScope();
    ToolProgressScope(const ToolProgressScope&) = delete;
    ToolProgressScope& operator=(const ToolProgressScope&) = delete;

private:
    ToolProgressSink m_sink;
    ToolProgressScope* m_outer;
};

// Hands `progress` to the innermost scope of this thread; false when there is none.
bool reportToolProgress(const ToolProgress& progress);

}  // namespace atelier::agents
