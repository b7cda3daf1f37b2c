#include "atelier/agents/tool_progress.h"

namespace atelier::agents {
namespace {

thread_local ToolProgressScope* t_scope = nullptr;
thread_local const ToolProgressSink* t_sink = nullptr;

}  // namespace

ToolProgressScope::ToolProgressScope(ToolProgressSink sink) : m_sink(std::move(sink)), m_outer(t_scope) {
    t_scope = this;
    t_sink = &m_sink;
}

ToolProgressScope::~ToolProgressScope() {
    t_scope = m_outer;
    t_sink = m_outer ? &m_outer->m_sink : nullptr;
}

bool reportToolProgress(const ToolProgress& progress) {
    if (!t_sink || !*t_sink) return false;
    (*t_sink)(progress);
    return true;
}

}  // namespace atelier::agents
