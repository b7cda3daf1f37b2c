// Session export to readable Markdown.

#include <ctime>

#include <nlohmann/json.hpp>

#include "atelier/agents/markdown_literal.h"
#include "atelier/agents/session_export.h"

namespace atelier::agents {
namespace {

std::string utcTime(std::int64_t ms) {
    const std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

// A code fence longer than any run of backticks inside `body`, so the body cannot close it.
std::string fenced(std::string_view body, std::string_view info) {
    std::size_t longest = 0, run = 0;
    for (char c : body) {
        run = c == '`' ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
    std::string out = fence + std::string(info) + "\n" + std::string(body);
    if (!body.empty() && body.back() != '\n') out += '\n';
    return out + fence + "\n\n";
}

// What a person or a model said is shown as stored (markdownLiteral): a reply holding `*x*`,
// `# h` or `<script>` renders as those characters, not as emphasis, a heading or HTML.
// Tool calls are stored as JSON text; pretty-printed when it parses (it always should).
std::string prettyJson(const std::string& text) {
    auto parsed = nlohmann::ordered_json::parse(text, nullptr, false);
    if (parsed.is_discarded()) return text;
    return parsed.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string roleHeading(const Message& m) {
    std::string role = m.role;
    if (!role.empty()) role[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(role[0])));
    if (!m.agent.empty()) role += " · " + markdownLiteralInline(m.agent);
    return "## " + role + "\n\n";
}

std::string messageMarkdown(const Message& m) {
    std::string out = roleHeading(m);
    if (!m.reasoning.empty()) {
        out += "<details>\n<summary>Reasoning</summary>\n\n" + markdownLiteral(m.reasoning) +
               "\n\n</details>\n\n";
    }
    if (!m.content.empty()) out += markdownLiteral(m.content) + "\n\n";
    if (!m.toolCalls.empty()) out += "**Tool calls**\n\n" + fenced(prettyJson(m.toolCalls), "json");
    if (!m.toolResults.empty()) out += "**Tool result**\n\n" + fenced(m.toolResults, "");
    return out;
}

std::string runMarkdown(const RunRecord& rr) {
    const Run& r = rr.run;
    std::string out = "### Run " + std::to_string(r.id) + (r.team.empty() ? "" : ": " + r.team) +
                      " — " + r.status + "\n\n";
    if (!r.task.empty()) out += "Task: " + markdownLiteral(r.task) + "\n\n";
    out += "Started " + utcTime(r.startedMs);
    if (r.finishedMs) out += ", finished " + utcTime(*r.finishedMs);
    out += ".\n\n";
    for (const auto& s : rr.steps)
        out += "- step " + std::to_string(s.stepIndex) + " · " + s.agent + " · " + s.kind +
               (s.status.empty() ? "" : " · " + s.status) + "\n";
    if (!rr.steps.empty()) out += "\n";
    for (const auto& a : rr.approvals)
        out += "- approval: " + markdownLiteralInline(a.agent) + " → `" + a.tool + "` " +
               markdownLiteralInline(a.arguments) + ": **" +
               a.decision + "** by " + (a.decidedBy.empty() ? "unknown" : a.decidedBy) + ", " +
               utcTime(a.decidedMs) + "\n";
    if (!rr.approvals.empty()) out += "\n";
    return out;
}

}  // namespace

std::string sessionToMarkdown(const SessionRecord& record) {
    const Session& s = record.session;
    std::string out =
        "# " + (s.title.empty() ? std::string("Untitled session") : markdownLiteralInline(s.title)) + "\n\n";
    std::string facts = s.kind == SessionKind::Team ? "Team run" : "Chat";
    if (!s.model.empty()) facts += " · model `" + s.model + "`";
    if (!s.folder.empty()) facts += " · folder `" + s.folder + "`";
    facts += " · created " + utcTime(s.createdMs) + " · updated " + utcTime(s.updatedMs);
    if (s.favourite) facts += " · ★";
    out += "*" + facts + "*\n\n---\n\n";
    for (const auto& m : record.messages) out += messageMarkdown(m);
    if (!record.runs.empty()) {
        out += "---\n\n## Runs\n\n";
        for (const auto& rr : record.runs) out += runMarkdown(rr);
    }
    while (out.size() > 1 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
    return out;
}

}  // namespace atelier::agents
