#pragma once
// TurnStreamBuffer: coalesces the live turn events of a team run (TeamRuntimeOptions::
// onTurnEvent) between the threads that generate them and the GUI thread. However fast tokens
// come, at most one drain is queued on the GUI thread at a time (as EngineBridge does for chat),
// so a team of streaming agents never floods the event loop.
// Threads: add() from any thread (agent threads, the engine's scheduler); take() on the GUI
// thread.

#include <QString>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "atelier/agents/agent_model.h"
#include "atelier/base/utf8.h"

namespace atelier::ui {

struct StreamedPiece {
    QString reasoning;
    QString content;
    qint64 tokens = 0;           // delta events seen (each is about one token)
    std::vector<QString> tools;  // tool calls completed, in order
};

class TurnStreamBuffer {
public:
    // Adds `event`; true when the caller must queue a drain (take()) on the GUI thread: the
    // first event since the last take().
    bool add(const std::string& agent, const agents::TurnEvent& event);
    // Everything gathered since the last take(), per agent, in first-seen order.
    std::vector<std::pair<QString, StreamedPiece>> take();

private:
    std::mutex m_mutex;
    std::vector<std::pair<std::string, StreamedPiece>> m_pending;  // guarded by m_mutex
    std::map<std::string, base::Utf8Text> m_partial;  // guarded by m_mutex: per agent's stream
    bool m_posted = false;                            // guarded by m_mutex: a drain is queued
};

}  // namespace atelier::ui
