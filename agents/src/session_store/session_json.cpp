// Session export to JSON and import back (session_export.h has the format).

#include <set>

#include <nlohmann/json.hpp>

#include "atelier/agents/session_export.h"

namespace atelier::agents {
namespace {

using Json = nlohmann::ordered_json;

Json optionalInt(const std::optional<std::int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

Json messageJson(const Message& m) {
    return Json{{"id", m.id},
                {"role", m.role},
                {"content", m.content},
                {"reasoning", m.reasoning},
                {"tool_calls", m.toolCalls},
                {"tool_results", m.toolResults},
                {"agent", m.agent},
                {"parent_id", optionalInt(m.parentId)},
                {"created_ms", m.createdMs},
                {"sampling", m.sampling}};
}

Json runJson(const RunRecord& rr) {
    Json steps = Json::array(), approvals = Json::array();
    for (const auto& s : rr.steps)
        steps.push_back(Json{{"id", s.id}, {"agent", s.agent}, {"step_index", s.stepIndex},
                             {"kind", s.kind}, {"payload", s.payload}, {"status", s.status},
                             {"created_ms", s.createdMs}});
    for (const auto& a : rr.approvals)
        approvals.push_back(Json{{"id", a.id}, {"agent", a.agent}, {"tool", a.tool},
                                 {"arguments", a.arguments}, {"decision", a.decision},
                                 {"decided_by", a.decidedBy}, {"decided_ms", a.decidedMs}});
    const Run& r = rr.run;
    return Json{{"id", r.id},         {"team", r.team},
                {"task", r.task},     {"status", r.status},
                {"started_ms", r.startedMs}, {"finished_ms", optionalInt(r.finishedMs)},
                {"steps", steps},     {"approvals", approvals}};
}

// Thrown inside the reader only; sessionFromJson turns it into a BadInput error.
struct ImportError {
    std::string message;
};

// Reads typed fields of one JSON object, naming `path` in every complaint.
class FieldReader {
public:
    FieldReader(const Json& object, std::string path) : m_object(object), m_path(std::move(path)) {
        if (!object.is_object()) fail("", "expected an object");
    }

    [[noreturn]] void fail(std::string_view key, std::string_view what) const {
        std::string where = m_path;
        if (!key.empty()) where += (where.empty() ? "" : ".") + std::string(key);
        if (where.empty()) where = "session file";
        throw ImportError{where + ": " + std::string(what)};
    }
    const Json& field(const char* key) const {
        auto it = m_object.find(key);
        if (it == m_object.end()) fail(key, "missing");
        return *it;
    }
    std::string text(const char* key) const {
        const Json& v = field(key);
        if (!v.is_string()) fail(key, "expected a string");
        return v.get<std::string>();
    }
    std::string jsonText(const char* key, bool emptyAllowed) const {
        std::string t = text(key);
        if (emptyAllowed && t.empty()) return t;
        if (!Json::accept(t)) fail(key, "expected JSON text");
        return t;
    }
    std::int64_t integer(const char* key) const {
        const Json& v = field(key);
        if (!v.is_number_integer()) fail(key, "expected an integer");
        return v.get<std::int64_t>();
    }
    // A field added after version 1 of the format: "" when absent.
    std::string laterJsonText(const char* key) const {
        return m_object.contains(key) ? jsonText(key, true) : std::string();
    }
    std::optional<std::int64_t> optionalInteger(const char* key) const {
        if (field(key).is_null()) return std::nullopt;
        return integer(key);
    }
    bool boolean(const char* key) const {
        const Json& v = field(key);
        if (!v.is_boolean()) fail(key, "expected true or false");
        return v.get<bool>();
    }
    const Json& array(const char* key) const {
        const Json& v = field(key);
        if (!v.is_array()) fail(key, "expected an array");
        return v;
    }
    const std::string& path() const { return m_path; }

private:
    const Json& m_object;
    std::string m_path;
};

Session readSessionJson(const FieldReader& f) {
    Session s;
    s.id = f.integer("id");
    s.title = f.text("title");
    auto kind = sessionKindFromString(f.text("kind"));
    if (!kind) f.fail("kind", "expected \"chat\" or \"team\"");
    s.kind = *kind;
    s.createdMs = f.integer("created_ms");
    s.updatedMs = f.integer("updated_ms");
    s.folder = f.text("folder");
    s.favourite = f.boolean("favourite");
    s.model = f.text("model");
    s.sampling = f.laterJsonText("sampling");
    return s;
}

Message readMessageJson(const FieldReader& f, const std::set<std::int64_t>& earlier) {
    static const std::set<std::string> kRoles = {"system", "developer", "user", "assistant", "tool"};
    Message m;
    m.id = f.integer("id");
    m.role = f.text("role");
    if (!kRoles.count(m.role)) f.fail("role", "unknown role \"" + m.role + "\"");
    m.content = f.text("content");
    m.reasoning = f.text("reasoning");
    m.toolCalls = f.jsonText("tool_calls", true);
    m.toolResults = f.text("tool_results");
    m.agent = f.text("agent");
    m.parentId = f.optionalInteger("parent_id");
    if (m.parentId && !earlier.count(*m.parentId))
        f.fail("parent_id", "refers to no earlier message in this file");
    m.createdMs = f.integer("created_ms");
    m.sampling = f.laterJsonText("sampling");
    return m;
}

RunRecord readRunJson(const FieldReader& f) {
    RunRecord rr;
    rr.run.id = f.integer("id");
    rr.run.team = f.text("team");
    rr.run.task = f.text("task");
    rr.run.status = f.text("status");
    rr.run.startedMs = f.integer("started_ms");
    rr.run.finishedMs = f.optionalInteger("finished_ms");
    const Json& steps = f.array("steps");
    for (std::size_t i = 0; i < steps.size(); ++i) {
        FieldReader s(steps[i], f.path() + ".steps[" + std::to_string(i) + "]");
        rr.steps.push_back({s.integer("id"), 0, s.text("agent"), s.integer("step_index"),
                            s.text("kind"), s.jsonText("payload", false), s.text("status"),
                            s.integer("created_ms")});
    }
    const Json& approvals = f.array("approvals");
    for (std::size_t i = 0; i < approvals.size(); ++i) {
        FieldReader a(approvals[i], f.path() + ".approvals[" + std::to_string(i) + "]");
        Approval ap{a.integer("id"), 0, a.text("agent"), a.text("tool"),
                    a.jsonText("arguments", false), a.text("decision"), a.text("decided_by"),
                    a.integer("decided_ms")};
        if (ap.decision != "allow" && ap.decision != "deny")
            a.fail("decision", "expected \"allow\" or \"deny\"");
        rr.approvals.push_back(std::move(ap));
    }
    return rr;
}

SessionRecord readRecord(const Json& doc) {
    FieldReader top(doc, "");
    if (top.text("format") != kSessionFormatName)
        top.fail("format", "not an Atelier session file (expected \"atelier-session\")");
    const std::int64_t version = top.integer("version");
    if (version > kSessionFormatVersion)
        top.fail("version", "format version " + std::to_string(version) +
                                " is newer than this Atelier reads (" +
                                std::to_string(kSessionFormatVersion) + "); update Atelier");
    if (version < 1) top.fail("version", "expected a version from 1");
    SessionRecord record;
    record.session = readSessionJson(FieldReader(top.field("session"), "session"));
    std::set<std::int64_t> ids;
    const Json& messages = top.array("messages");
    for (std::size_t i = 0; i < messages.size(); ++i) {
        FieldReader m(messages[i], "messages[" + std::to_string(i) + "]");
        record.messages.push_back(readMessageJson(m, ids));
        if (!ids.insert(record.messages.back().id).second) m.fail("id", "duplicate message id");
    }
    const Json& runs = top.array("runs");
    for (std::size_t i = 0; i < runs.size(); ++i)
        record.runs.push_back(readRunJson(FieldReader(runs[i], "runs[" + std::to_string(i) + "]")));
    return record;
}

}  // namespace

std::string sessionToJson(const SessionRecord& record) {
    const Session& s = record.session;
    Json messages = Json::array(), runs = Json::array();
    for (const auto& m : record.messages) messages.push_back(messageJson(m));
    for (const auto& r : record.runs) runs.push_back(runJson(r));
    Json doc{{"format", kSessionFormatName},
             {"version", kSessionFormatVersion},
             {"session", Json{{"id", s.id}, {"title", s.title}, {"kind", toString(s.kind)},
                              {"created_ms", s.createdMs}, {"updated_ms", s.updatedMs},
                              {"folder", s.folder}, {"favourite", s.favourite}, {"model", s.model},
                              {"sampling", s.sampling}}},
             {"messages", messages},
             {"runs", runs}};
    // Invalid UTF-8 in stored text is replaced rather than failing the whole export.
    return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<SessionRecord> sessionFromJson(std::string_view text) {
    Json doc;
    try {
        doc = Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error& e) {
        return unexpected(Error::badInput(std::string("session file is not valid JSON: ") + e.what()));
    }
    try {
        return readRecord(doc);
    } catch (const ImportError& e) {
        return unexpected(Error::badInput(e.message));
    } catch (const Json::exception& e) {
        return unexpected(Error::badInput(std::string("session file: ") + e.what()));
    }
}

}  // namespace atelier::agents
