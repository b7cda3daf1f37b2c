#pragma once
// RunJournal: the persisted side of a team run. New events are written to the session store
// (one agent step per event, under the agent instance's name; each model turn and tool result
// also as a message of the run's session, for `session show`) and then passed to the observer;
// on resume, the steps already stored are handed back, per agent instance and in order, so the
// agents can re-use them instead of asking the model or running the tool again.
// Threads: every method may be called from any agent thread; m_mutex serialises the store
// (one SQLite connection) and the observer (it never sees two events at once).

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "atelier/agents/session_store.h"
#include "atelier/agents/team_event.h"

namespace atelier::agents {

inline constexpr const char* kRunStartKind = "run";    // the first step: what the run started with
inline constexpr const char* kRunStartAgent = "(run)";

class RunJournal {
public:
    RunJournal(SessionStore& store, std::int64_t sessionId, std::int64_t runId,
               std::function<void(const TeamEvent&)> observer)
        : m_store(store), m_sessionId(sessionId), m_runId(runId), m_observer(std::move(observer)) {}

    // Reads the run's stored steps (for resume).
    Result<void> load();
    // Writes the run's first step (not an event).
    Result<void> writeStart(const nlohmann::json& payload);

    // The next stored event of `instance` when it is of `kind` (consumed and re-emitted to
    // the observer), else nothing; a mismatch ends the replay of that instance.
    std::optional<nlohmann::json> take(const std::string& instance, TeamEventKind kind);
    // Persists a new event of `instance`, then shows it to the observer.
    void emit(const std::string& instance, const TeamEvent& event);
    // Shows an event to the observer without persisting it (tool_progress).
    void notify(const TeamEvent& event);
    void recordApproval(const Approval& approval);

    // The first store error (after which nothing more is written), if any.
    std::optional<Error> failure() const;
    std::int64_t runId() const { return m_runId; }

private:
    Result<void> addMessage(const TeamEvent& event);

    SessionStore& m_store;                   // guarded by m_mutex
    const std::int64_t m_sessionId;
    const std::int64_t m_runId;
    std::function<void(const TeamEvent&)> m_observer;
    mutable std::mutex m_mutex;
    std::map<std::string, std::deque<nlohmann::json>> m_stored;  // guarded by m_mutex
    std::map<std::string, std::int64_t> m_nextIndex;             // guarded by m_mutex
    std::optional<Error> m_failure;                              // guarded by m_mutex
};

}  // namespace atelier::agents
