// ChatStreamParser: one state machine over a growing buffer. Free text (reasoning, content,
// parameter values) is scanned for the markers that may end or invalidate it; the DSML
// tool-call block is matched piece by piece against its fixed layout. Decisions depend only
// on text already seen, and a marker match is committed only when no marker could still
// start earlier, so every chunking of the same text gives the same events' concatenation.
// The grammar is that of the official parser (parse_message_from_completion_text).

#include "atelier/engine/chat_stream_parser.h"

#include <algorithm>
#include <array>
#include <set>

#include <nlohmann/json.hpp>

#include "atelier/base/utf8.h"
#include "chat/dsv4_tokens.h"
#include "chat/python_json.h"

namespace atelier::engine {

using namespace chat;

namespace {

enum class Phase {
    Reasoning,         // until </think>
    Content,           // until EOS or the tool-calls block
    CallsOpen,         // ">\n" after "\n\n<｜DSML｜tool_calls"
    CallsItem,         // an invoke, or the end of the block
    InvokeName,        // NAME">\n
    ParamOrInvokeEnd,  // a parameter, or "</｜DSML｜invoke>\n"
    ParamName,         // NAME" string="
    ParamKind,         // true"> or false">
    ParamValue,        // until </｜DSML｜parameter>
    ParamNewline,      // "\n"
    AfterCalls,        // optional EOS
    AfterEos,          // nothing more
    Done,
    Failed,
};

struct Marker {
    std::string_view text;
    bool stop;  // ends the free text; otherwise the text is malformed
};

constexpr std::array<Marker, 5> kReasoningMarkers = {{
    {kThinkEnd, true}, {kThinkStart, false}, {kBos, false}, {kEos, false}, {kDsml, false}}};
constexpr std::array<Marker, 6> kContentMarkers = {{{kEos, true},
                                                     {kToolCallsStart, true},
                                                     {kBos, false},
                                                     {kThinkStart, false},
                                                     {kThinkEnd, false},
                                                     {kDsml, false}}};
constexpr std::array<Marker, 1> kValueMarkers = {{{kParamEnd, true}}};

constexpr std::size_t npos = std::string::npos;

struct ScanResult {
    std::size_t textEnd = 0;           // free text s[0, textEnd) is certain
    const Marker* marker = nullptr;    // set when a marker is committed at textEnd
};

template <std::size_t N>
ScanResult scanFreeText(std::string_view s, const std::array<Marker, N>& markers, bool final) {
    std::size_t best = npos;
    const Marker* found = nullptr;
    for (const auto& m : markers) {
        std::size_t p = s.find(m.text);
        if (p != npos && (p < best || (p == best && m.text.size() > found->text.size()))) {
            best = p;
            found = &m;
        }
    }
    // The earliest position from which the rest of s could still become a marker.
    std::size_t partial = npos;
    if (!final) {
        for (const auto& m : markers) {
            std::size_t from = s.size() >= m.text.size() ? s.size() - m.text.size() + 1 : 0;
            for (std::size_t q = from; q < s.size() && q < partial; ++q)
                if (m.text.substr(0, s.size() - q) == s.substr(q)) partial = q;
        }
    }
    if (found && partial >= best) return {best, found};
    std::size_t end = std::min(partial, s.size());
    // Not final: text stops before a character that the next piece may complete.
    return {final ? end : base::truncateUtf8(s, end).size(), nullptr};
}

enum class Match { Wait, No, Yes };

Match matchLiteral(std::string_view s, std::string_view lit) {
    if (s.size() >= lit.size()) return s.substr(0, lit.size()) == lit ? Match::Yes : Match::No;
    return lit.substr(0, s.size()) == s ? Match::Wait : Match::No;
}

}  // namespace

struct ChatStreamParser::State {
    Phase phase = Phase::Content;
    Phase failedIn = Phase::Content;  // the phase a failed parse failed in
    std::string buf;      // text not consumed yet
    std::size_t base = 0; // offset of buf[0] in the whole text
    bool final = false;
    std::vector<std::string> knownTools;
    ParsedCompletion result;
    std::string error;
    std::vector<ChatStreamEvent> out;
    // The tool call being parsed.
    std::string args;
    std::set<std::string> paramNames;
    std::string paramName;
    bool paramIsString = false;
    std::string paramRaw;
    std::size_t paramOffset = 0;
    bool afterInvokeTag = false;

    void emit(ChatStreamEventKind kind, std::string text) {
        out.push_back({kind, std::move(text), result.toolCalls.size() - 1});
    }
    void consume(std::size_t n) {
        buf.erase(0, n);
        base += n;
    }
    bool fail(std::size_t offset, const std::string& message) {
        failedIn = phase;
        phase = Phase::Failed;
        error = "offset " + std::to_string(offset) + ": " + message;
        out.push_back({ChatStreamEventKind::Error, error, 0});
        return false;
    }
    bool wait(const char* what) {
        if (final) return fail(base + buf.size(), std::string("text ends inside ") + what);
        return false;
    }

    bool step();
    bool stepFreeText();
    bool stepValue();
    bool stepLiteral(std::string_view lit, Phase next, const char* what);
    bool stepCallsItem();
    bool stepInvokeName();
    bool stepParamOrInvokeEnd();
    bool stepParamName();
    bool stepParamKind();
    bool stepAfterCalls();
    void appendArgs(std::string text) {
        args += text;
        emit(ChatStreamEventKind::ToolCallArguments, std::move(text));
    }
};

// Reasoning and content: emit what is certain, then act on the marker that ends it.
bool ChatStreamParser::State::stepFreeText() {
    const bool reasoning = phase == Phase::Reasoning;
    ScanResult r = reasoning ? scanFreeText(buf, kReasoningMarkers, final)
                             : scanFreeText(buf, kContentMarkers, final);
    if (r.textEnd > 0) {
        std::string text = buf.substr(0, r.textEnd);
        (reasoning ? result.reasoningContent : result.content) += text;
        out.push_back({reasoning ? ChatStreamEventKind::ReasoningDelta
                                 : ChatStreamEventKind::ContentDelta,
                       std::move(text), 0});
        consume(r.textEnd);
    }
    if (!r.marker) {
        if (!final) return false;
        return fail(base, reasoning ? "reasoning is not closed by </think>"
                                    : "the turn does not end with <｜end▁of▁sentence｜>");
    }
    if (!r.marker->stop)
        return fail(base, "unexpected " + std::string(r.marker->text) +
                              (reasoning ? " in the reasoning" : " in the content"));
    consume(r.marker->text.size());
    if (reasoning) phase = Phase::Content;
    else phase = r.marker->text == kEos ? Phase::AfterEos : Phase::CallsOpen;
    return true;
}

bool ChatStreamParser::State::stepValue() {
    ScanResult r = scanFreeText(buf, kValueMarkers, final);
    if (r.textEnd > 0) {
        std::string text = buf.substr(0, r.textEnd);
        paramRaw += text;
        std::string piece;
        if (paramIsString) {
            appendPythonJsonString(piece, text);
            piece = piece.substr(1, piece.size() - 2);  // without the quotes
        } else {
            piece = text;
        }
        appendArgs(std::move(piece));
        consume(r.textEnd);
    }
    if (!r.marker) return final ? fail(base, "parameter \"" + paramName + "\" is not closed") : false;
    if (!paramIsString && !nlohmann::json::accept(paramRaw))
        return fail(paramOffset, "parameter \"" + paramName +
                                     "\" has string=\"false\" but its value is not valid JSON");
    if (paramIsString) appendArgs("\"");
    consume(kParamEnd.size());
    phase = Phase::ParamNewline;
    return true;
}

bool ChatStreamParser::State::stepLiteral(std::string_view lit, Phase next, const char* what) {
    switch (matchLiteral(buf, lit)) {
    case Match::Wait: return wait(what);
    case Match::No: return fail(base, std::string("malformed DSML: expected ") + what);
    case Match::Yes: break;
    }
    consume(lit.size());
    phase = next;
    return true;
}

bool ChatStreamParser::State::stepCallsItem() {
    Match invoke = matchLiteral(buf, kInvokeStart);
    Match end = matchLiteral(buf, kToolCallsEnd);
    if (invoke == Match::Yes) {
        consume(kInvokeStart.size());
        phase = Phase::InvokeName;
        return true;
    }
    if (end == Match::Yes) {
        consume(kToolCallsEnd.size());
        phase = Phase::AfterCalls;
        return true;
    }
    if (invoke == Match::Wait || end == Match::Wait) return wait("the tool-calls block");
    return fail(base, "malformed DSML: expected <｜DSML｜invoke or </｜DSML｜tool_calls>");
}

bool ChatStreamParser::State::stepInvokeName() {
    std::size_t q = buf.find('"');
    if (q == npos) return wait("an invoke tag");
    switch (matchLiteral(std::string_view(buf).substr(q), "\">\n")) {
    case Match::Wait: return wait("an invoke tag");
    case Match::No: return fail(base + q, "malformed DSML: invoke name not followed by \">");
    case Match::Yes: break;
    }
    std::string name = buf.substr(0, q);
    consume(q + 3);
    if (!knownTools.empty() &&
        std::find(knownTools.begin(), knownTools.end(), name) == knownTools.end() &&
        std::find(result.unknownTools.begin(), result.unknownTools.end(), name) ==
            result.unknownTools.end())
        result.unknownTools.push_back(name);
    result.toolCalls.push_back({name, {}});
    emit(ChatStreamEventKind::ToolCallStart, name);
    args.clear();
    paramNames.clear();
    appendArgs("{");
    afterInvokeTag = true;
    phase = Phase::ParamOrInvokeEnd;
    return true;
}

bool ChatStreamParser::State::stepParamOrInvokeEnd() {
    // A call without arguments is rendered `name="F">\n\n</｜DSML｜invoke>` (an empty parameter
    // list between two newlines), which the official parser's `">\n$` accepts: allow one
    // blank line right after the invoke tag.
    if (afterInvokeTag && !buf.empty()) {
        afterInvokeTag = false;
        if (buf[0] == '\n') {
            consume(1);
            return true;
        }
    }
    Match param = matchLiteral(buf, kParamStart);
    Match end = matchLiteral(buf, kInvokeEnd);
    if (param == Match::Yes) {
        consume(kParamStart.size());
        phase = Phase::ParamName;
        return true;
    }
    if (end == Match::Yes) {
        consume(kInvokeEnd.size());
        appendArgs("}");
        result.toolCalls.back().arguments = args;
        emit(ChatStreamEventKind::ToolCallEnd, args);
        phase = Phase::CallsItem;
        return true;
    }
    if (param == Match::Wait || end == Match::Wait) return wait("an invoke");
    return fail(base, "malformed DSML: expected <｜DSML｜parameter or </｜DSML｜invoke>");
}

bool ChatStreamParser::State::stepParamName() {
    std::size_t q = buf.find('"');
    if (q == npos) return wait("a parameter tag");
    switch (matchLiteral(std::string_view(buf).substr(q), "\" string=\"")) {
    case Match::Wait: return wait("a parameter tag");
    case Match::No: return fail(base + q, "malformed DSML: parameter name not followed by string=");
    case Match::Yes: break;
    }
    paramName = buf.substr(0, q);
    if (!paramNames.insert(paramName).second)
        return fail(base, "duplicate parameter \"" + paramName + "\"");
    consume(q + 10);
    phase = Phase::ParamKind;
    return true;
}

bool ChatStreamParser::State::stepParamKind() {
    Match yes = matchLiteral(buf, "true\">");
    Match no = matchLiteral(buf, "false\">");
    if (yes == Match::Wait || no == Match::Wait) return wait("a parameter tag");
    if (yes == Match::No && no == Match::No)
        return fail(base, "malformed DSML: string= must be \"true\" or \"false\"");
    paramIsString = yes == Match::Yes;
    consume(paramIsString ? 6 : 7);
    paramOffset = base;
    paramRaw.clear();
    std::string head = args.size() > 1 ? ", " : "";
    appendPythonJsonString(head, paramName);
    head += ": ";
    if (paramIsString) head += '"';
    appendArgs(std::move(head));
    phase = Phase::ParamValue;
    return true;
}

// The official parser accepts a tool-calls block with or without the final EOS.
bool ChatStreamParser::State::stepAfterCalls() {
    if (buf.empty()) {
        if (!final) return false;
        phase = Phase::Done;
        return true;
    }
    switch (matchLiteral(buf, kEos)) {
    case Match::Wait: return wait("<｜end▁of▁sentence｜>");
    case Match::No: return fail(base, "unexpected text after the tool calls");
    case Match::Yes: break;
    }
    consume(kEos.size());
    phase = Phase::AfterEos;
    return true;
}

bool ChatStreamParser::State::step() {
    switch (phase) {
    case Phase::Reasoning:
    case Phase::Content: return stepFreeText();
    case Phase::CallsOpen: return stepLiteral(">\n", Phase::CallsItem, "\">\\n\" after <｜DSML｜tool_calls");
    case Phase::CallsItem: return stepCallsItem();
    case Phase::InvokeName: return stepInvokeName();
    case Phase::ParamOrInvokeEnd: return stepParamOrInvokeEnd();
    case Phase::ParamName: return stepParamName();
    case Phase::ParamKind: return stepParamKind();
    case Phase::ParamValue: return stepValue();
    case Phase::ParamNewline: return stepLiteral("\n", Phase::ParamOrInvokeEnd, "a newline after </｜DSML｜parameter>");
    case Phase::AfterCalls: return stepAfterCalls();
    case Phase::AfterEos:
        if (!buf.empty()) return fail(base, "unexpected text after <｜end▁of▁sentence｜>");
        if (final) phase = Phase::Done;
        return final;
    case Phase::Done:
    case Phase::Failed: return false;
    }
    return false;
}

ChatStreamParser::ChatStreamParser(ChatMode mode, std::vector<std::string> knownTools)
    : m_state(std::make_unique<State>()) {
    m_state->phase = mode == ChatMode::Chat ? Phase::Content : Phase::Reasoning;
    m_state->knownTools = std::move(knownTools);
}

ChatStreamParser::~ChatStreamParser() = default;

std::vector<ChatStreamEvent> ChatStreamParser::feed(std::string_view piece) {
    State& s = *m_state;
    if (s.phase == Phase::Done || s.phase == Phase::Failed || s.final) return {};
    s.buf.append(piece);
    while (s.step()) {
    }
    return std::exchange(s.out, {});
}

std::vector<ChatStreamEvent> ChatStreamParser::finish() {
    State& s = *m_state;
    if (s.final) return {};
    s.final = true;
    while (s.step()) {
    }
    if (s.phase == Phase::Done) s.out.push_back({ChatStreamEventKind::Done, {}, 0});
    return std::exchange(s.out, {});
}

const ParsedCompletion& ChatStreamParser::result() const { return m_state->result; }
bool ChatStreamParser::failed() const { return m_state->phase == Phase::Failed; }
const std::string& ChatStreamParser::errorMessage() const { return m_state->error; }

ChatStreamPlace ChatStreamParser::place() const {
    const State& s = *m_state;
    switch (s.phase == Phase::Failed ? s.failedIn : s.phase) {
    case Phase::Reasoning: return ChatStreamPlace::Reasoning;
    case Phase::Content: {
        // Text that stops part-way through the block's opening marker (held back, not yet
        // content) has begun a tool call.
        const std::string tail = s.result.content.substr(s.result.content.size() -
                                                         std::min<std::size_t>(s.result.content.size(), 3)) + s.buf;
        const std::size_t at = tail.rfind("\n\n<");
        const std::string_view begun = at == npos ? std::string_view() : std::string_view(tail).substr(at);
        if (begun.size() > 3 && begun.size() < kToolCallsStart.size() && kToolCallsStart.substr(0, begun.size()) == begun)
            return ChatStreamPlace::ToolCalls;
        return ChatStreamPlace::Content;
    }
    case Phase::AfterCalls:
    case Phase::AfterEos:
    case Phase::Done:
    case Phase::Failed: return ChatStreamPlace::Ended;
    default: return ChatStreamPlace::ToolCalls;
    }
}

std::string ChatStreamParser::openToolCall() const {
    const auto& calls = m_state->result.toolCalls;
    // A call's arguments are set when its invoke closes.
    if (place() != ChatStreamPlace::ToolCalls || calls.empty() || !calls.back().arguments.empty()) return {};
    return calls.back().name;
}

Result<ParsedCompletion> parseCompletion(std::string_view text, ChatMode mode,
                                         const std::vector<std::string>& knownTools) {
    ChatStreamParser parser(mode, knownTools);
    parser.feed(text);
    parser.finish();
    if (parser.failed()) return unexpected(Error::badInput(parser.errorMessage()));
    return parser.result();
}

std::string completionToJson(const ParsedCompletion& parsed) {
    nlohmann::ordered_json j;
    j["role"] = "assistant";
    j["reasoning_content"] = parsed.reasoningContent;
    j["content"] = parsed.content;
    j["tool_calls"] = nlohmann::ordered_json::array();
    for (const auto& call : parsed.toolCalls) {
        nlohmann::ordered_json fn;
        fn["name"] = call.name;
        fn["arguments"] = call.arguments;
        j["tool_calls"].push_back({{"type", "function"}, {"function", fn}});
    }
    // Invalid UTF-8 in generated text is replaced rather than thrown on.
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace atelier::engine
