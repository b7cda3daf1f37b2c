// ToolGate: decision, approval and policy-checked tool runs (see tool_gate.h).

#include "tool_gate.h"

#include <algorithm>

#include "atelier/agents/audited_tool_context.h"
#include "atelier/agents/policy.h"
#include "atelier/agents/tool_progress.h"
#include "run_journal.h"

namespace atelier::agents {

GateDecision decideToolCall(TeamRuntime::Impl& rt, const AgentSpec& spec, const std::string& tool) {
    GateDecision d{"deny", ""};
    std::uint32_t caps = 0;
    if (std::find(spec.tools.begin(), spec.tools.end(), tool) == spec.tools.end()) {
        d.reason = "tool '" + tool + "' is not among the tools of agent '" + spec.name + "'";
    } else if (tool == "delegate") {
        if (spec.workers.empty()) d.reason = "agent '" + spec.name + "' has no workers to delegate to";
    } else if (const Tool* t = rt.tools.find(tool)) {
        caps = t->capabilities();
    } else {
        d.reason = "unknown tool '" + tool + "'";
    }
    if (d.reason.empty()) {
        const bool writes = (caps & (static_cast<std::uint32_t>(Capability::WriteFiles) |
                                     static_cast<std::uint32_t>(Capability::Subprocess))) != 0;
        const bool ask = spec.approval == ApprovalMode::AskForAll ||
                         (spec.approval == ApprovalMode::AskForWrites && writes);
        d.decision = ask ? "ask" : "allow";
        d.reason = "approval mode " + approvalModeName(spec.approval);
    }
    rt.auditRecord(AuditKind::PolicyDecision, spec.name,
                   {{"tool", tool}, {"decision", d.decision}, {"reason", d.reason}});
    return d;
}

bool askApproval(TeamRuntime::Impl& rt, const std::string& instance, const AgentSpec& spec,
                 const std::string& tool, const nlohmann::json& args) {
    const bool allowed = rt.options.approve && rt.options.approve(ApprovalRequest{spec.name, tool, args});
    Approval a;
    a.runId = rt.journal->runId();
    a.agent = instance;
    a.tool = tool;
    a.arguments = args.dump();
    a.decision = allowed ? "allow" : "deny";
    a.decidedBy = rt.options.approve ? rt.options.approvedBy : "no approver";
    a.decidedMs = nowMs();
    rt.journal->recordApproval(a);
    rt.auditRecord(AuditKind::Approval, spec.name,
                   {{"tool", tool}, {"args", args}, {"decision", a.decision}, {"by", a.decidedBy}});
    return allowed;
}

ToolOutcome runTool(TeamRuntime::Impl& rt, const AgentSpec& spec, const std::string& tool,
                    const nlohmann::json& args, std::chrono::steady_clock::time_point wallEnd) {
    using Clock = std::chrono::steady_clock;
    // The agent's own grants, every call: nothing said in a conversation can widen them.
    const Policy policy(spec.grants, rt.options.dataDir);
    Clock::time_point deadline = wallEnd;
    if (rt.options.toolTimeout.count() > 0) deadline = std::min(deadline, Clock::now() + rt.options.toolTimeout);
    // Cancelling the run does not cut a call short: a resumed run replays what it returned.
    const PolicyToolContext policyCtx(policy, rt.options.workspace, deadline);
    // Progress the tool reports while it runs (an MCP server's notifications, on this thread)
    // becomes a tool_progress event of this agent, shown but not persisted.
    // The model tokens it spends for this agent (an MCP server's sampling) are charged to it.
    std::int64_t modelTokens = 0;
    const ToolProgressScope progressScope(
        [&rt, &spec, &tool](const ToolProgress& p) {
            nlohmann::json j = {{"event", "tool_progress"}, {"agent", spec.name}, {"tool", tool}, {"progress", p.progress}};
            if (p.total) j["total"] = *p.total;
            if (!p.message.empty()) j["message"] = p.message;
            rt.journal->notify(TeamEvent{TeamEventKind::ToolProgress, std::move(j)});
        },
        [&modelTokens](std::int64_t tokens) { modelTokens += tokens; });
    // No lock around the run: tools are safe to run concurrently, and the audit context
    // serialises its appends with every other audit append of this run.
    Result<ToolResult> result = Error::internal("not run");
    if (rt.audit) {
        const AuditedToolContext ctx(policyCtx, *rt.audit, spec.name, rt.auditMutex);
        result = rt.tools.call(tool, args, ctx);
        (void)ctx.recordCall(tool, args, result);  // a failed record already refused the paths
    } else {
        result = rt.tools.call(tool, args, policyCtx);
    }
    if (!result) {
        ToolOutcome failed{false, result.error().message, false};
        failed.modelTokens = modelTokens;
        return failed;
    }
    ToolOutcome out{true, result->text, result->truncated};
    out.modelTokens = modelTokens;
    for (const auto& s : result->sources) out.sources.push_back(s.toJson());
    return out;
}

}  // namespace atelier::agents
