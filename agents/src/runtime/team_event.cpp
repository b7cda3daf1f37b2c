// TeamEvent names, and replaying a run's events from the session store.

#include "atelier/agents/team_event.h"

#include <array>

#include "atelier/agents/team_runtime.h"
#include "run_journal.h"

namespace atelier::agents {
namespace {

constexpr std::array<const char*, 5> kStatusNames = {"ok", "failed", "budget_exhausted", "cancelled",
                                                    "truncated"};
constexpr std::array<const char*, 6> kEventNames = {"step", "tool_call", "tool_result", "delegate",
                                                    "done", "tool_progress"};

}  // namespace

std::string runStatusName(RunStatus status) { return kStatusNames[static_cast<std::size_t>(status)]; }

std::optional<RunStatus> runStatusFromName(const std::string& name) {
    for (std::size_t i = 0; i < kStatusNames.size(); ++i)
        if (name == kStatusNames[i]) return static_cast<RunStatus>(i);
    return std::nullopt;
}

std::string teamEventKindName(TeamEventKind kind) { return kEventNames[static_cast<std::size_t>(kind)]; }

std::optional<TeamEventKind> teamEventKindFromName(const std::string& name) {
    for (std::size_t i = 0; i < kEventNames.size(); ++i)
        if (name == kEventNames[i]) return static_cast<TeamEventKind>(i);
    return std::nullopt;
}

std::string TeamEvent::agent() const {
    if (json.contains("agent") && json["agent"].is_string()) return json["agent"];
    if (json.contains("from") && json["from"].is_string()) return json["from"];
    return {};
}

Result<std::vector<TeamEvent>> replayRun(SessionStore& store, std::int64_t runId) {
    auto steps = store.steps(runId);
    if (!steps) return unexpected(steps.error());
    if (steps->empty()) return unexpected(Error::notFound("run " + std::to_string(runId) + " has no steps"));
    std::vector<TeamEvent> events;
    for (const auto& s : *steps) {
        auto kind = teamEventKindFromName(s.kind);
        if (!kind) continue;  // the start record is not an event
        auto json = nlohmann::json::parse(s.payload, nullptr, false);
        if (json.is_discarded())
            return unexpected(Error::badInput("run " + std::to_string(runId) + ": step " +
                                              std::to_string(s.id) + " has a malformed payload"));
        events.push_back(TeamEvent{*kind, std::move(json)});
    }
    return events;
}

Result<RunStart> runStart(SessionStore& store, std::int64_t runId) {
    auto steps = store.steps(runId);
    if (!steps) return unexpected(steps.error());
    for (const auto& s : *steps) {
        if (s.kind != kRunStartKind) continue;
        auto j = nlohmann::json::parse(s.payload, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            return unexpected(Error::badInput("run " + std::to_string(runId) + ": malformed start record"));
        RunStart r;
        r.team = j.value("team", "");
        r.teamFile = j.value("team_file", "");
        r.workspace = j.value("workspace", "");
        r.task = j.value("task", "");
        r.sharedPrefix = j.value("shared_prefix", "");
        return r;
    }
    return unexpected(Error::notFound("run " + std::to_string(runId) + " not found (no start record)"));
}

}  // namespace atelier::agents
