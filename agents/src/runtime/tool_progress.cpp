#include "atelier/agents/tool_progress.h"

namespace atelier::agents {
namespace {

thread_local ToolProgressScope* t_scope = nullptr;
thread_local const ToolProgressSink* t_sink = nullptr;
thread_local const ToolTokensSink* t_tokens = nullptr;

}  // namespace

ToolProgressScope::ToolProgressScope(ToolProgressSink sink, ToolTokensSink tokens)
    : m_sink(std::move(sink)), m_tokens(std::move(tokens)), m_outer(t_scope) {
    t_scope = this;
    t_sink = &m_sink;
    t_tokens = &m_tokens;
}

ToolProgressScope::~ToolProgressScope() {
    t_scope = m_outer;
    t_sink = m_outer ? &m_outer->m_sink : nullptr;
    t_tokens = m_outer ? &m_outer->m_tokens : nullptr;
}

bool reportToolProgress(const ToolProgress& progress) {
    if (!t_sink || !*t_sink) return false;
    (*t_sink)(progress);
    return true;
}

bool reportToolModelTokens(std::int64_t tokens) {
    if (!t_tokens || !*t_tokens) return false;
    (*t_tokens)(tokens);
    return true;
}

}  // namespace atelier::agents
