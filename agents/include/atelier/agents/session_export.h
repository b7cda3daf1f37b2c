#pragma once
// Session export and import: Markdown for people, JSON for machines and round trips.
//
// JSON format (kFormatName, version kFormatVersion): one object
//   {"format":"atelier-session","version":1,
//    "session":{"id","title","kind","created_ms","updated_ms","folder","favourite","model"},
//    "messages":[{"id","role","content","reasoning","tool_calls","tool_results","agent",
//                 "parent_id","created_ms"}],
//    "runs":[{"id","team","task","status","started_ms","finished_ms",
//             "steps":[{"id","agent","step_index","kind","payload","status","created_ms"}],
//             "approvals":[{"id","agent","tool","arguments","decision","decided_by",
//                           "decided_ms"}]}]}
// Ids are the exporting database's; `parent_id` refers to a message id in the same file.
// JSON-valued fields (tool_calls, payload, arguments) are kept as the exact stored text.
// Pure functions: any thread.

#include <string>
#include <string_view>

#include "atelier/agents/session_store.h"
#include "atelier/base/result.h"

namespace atelier::agents {

inline constexpr std::string_view kSessionFormatName = "atelier-session";
// Bump when the JSON changes incompatibly; never reuse a value. Readers refuse newer versions.
inline constexpr int kSessionFormatVersion = 1;

// A readable transcript: title and facts, each turn under a role heading, reasoning in a
// collapsible <details>, tool calls as fenced JSON, tool results fenced, then the runs. What
// was said (messages, reasoning, title, task) is escaped with markdownLiteral(), so a Markdown
// renderer shows the stored characters (no emphasis, headings or HTML taken from them).
std::string sessionToMarkdown(const SessionRecord& record);

// The complete session as JSON text (pretty-printed, ending with a newline).
std::string sessionToJson(const SessionRecord& record);

// Parses sessionToJson's output. Malformed JSON, a missing or mistyped field (named by its
// path, e.g. "messages[3].role"), another format or a newer version is a BadInput error.
Result<SessionRecord> sessionFromJson(std::string_view text);

}  // namespace atelier::agents
