#pragma once
// ToolGate: what stands between an agent's tool call and the tool. Decides (the agent's own
// tool list, known tools, its approval mode), asks for approval, and runs the tool through the
// registry with a Policy built from the agent's own grants, auditing each step. Private to the
// runtime. Threads: any agent thread; tool runs go on concurrently, their audit appends are
// serialised by Impl::auditMutex.

#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime_state.h"

namespace atelier::agents {

struct GateDecision {
    std::string decision;  // "allow", "deny", "ask"
    std::string reason;
};

struct ToolOutcome {
    bool ok = false;
    std::string text;   // the result the model reads, or the error message
    bool truncated = false;
    nlohmann::json sources = nlohmann::json::array();  // SourceRef::toJson of each cited place
    std::int64_t modelTokens = 0;  // the model's tokens the tool spent (MCP sampling), failed or not
};

GateDecision decideToolCall(TeamRuntime::Impl& rt, const AgentSpec& spec, const std::string& tool);

// Asks the approval callback (none: deny); records the answer as an approval and in the audit.
bool askApproval(TeamRuntime::Impl& rt, const std::string& instance, const AgentSpec& spec,
                 const std::string& tool, const nlohmann::json& args);

// Runs the tool with a deadline: `toolTimeout` from now, or `wallEnd` (the agent's wall budget)
// if earlier.
ToolOutcome runTool(TeamRuntime::Impl& rt, const AgentSpec& spec, const std::string& tool,
                    const nlohmann::json& args,
                    std::chrono::steady_clock::time_point wallEnd = std::chrono::steady_clock::time_point::max());

}  // namespace atelier::agents
