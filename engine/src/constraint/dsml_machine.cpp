// DsmlMachine, the DSML layer: reasoning, content, the block's literal lists and string
// values. The JSON frames (string="false" values) are in json_frames.cpp.

#include "constraint/dsml_machine.h"

#include "chat/dsv4_tokens.h"
#include "constraint/machine_internal.h"

namespace atelier::engine::constraint {

void MachineState::appendKey(std::string& out, std::uint32_t cap) const {
    auto put = [&out](std::uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) out.push_back(char((v >> (8 * i)) & 0xFF));
    };
    for (int i = 0; i < depth; ++i) {
        const Frame& f = frames[std::size_t(i)];
        put(std::uint64_t(f.kind), 1), put(f.sub, 1), put(f.flags, 1), put(f.u8need, 1);
        put(f.u8lo, 1), put(f.u8hi, 1), put(f.node, 2), put(f.a, 2), put(f.b, 2), put(f.pos, 2);
        put(std::min(f.left, cap), 4), put(f.seen, 8);
    }
}

DsmlMachine::DsmlMachine(DsmlGrammar grammar)
    : m_g(std::move(grammar)),
      m_content({chat::kBos, chat::kEos, chat::kThinkStart, chat::kThinkEnd, chat::kDsml},
                chat::kToolCallsStart) {}

MachineState DsmlMachine::initial() const {
    MachineState s;
    if (m_g.tools.empty() && m_g.jsonRoot < 0) {
        push(s, Frame{});  // no tools: nothing to constrain
    } else if (m_g.options.mode == ChatMode::Chat) {
        enterContent(s);
    } else {
        Frame r;
        r.kind = FrameKind::Reasoning;
        push(s, r);
    }
    return s;
}

void DsmlMachine::push(MachineState& s, Frame f) const { s.frames[s.depth++] = f; }

void DsmlMachine::pushLit(MachineState& s, int list, std::uint32_t context) const {
    Frame f;
    f.kind = FrameKind::Lit;
    f.node = std::uint16_t(list);
    f.a = 0;
    f.b = std::uint16_t(m_g.lists[std::size_t(list)].texts.size());
    f.seen = context;
    push(s, f);
}

void DsmlMachine::enterContent(MachineState& s) const {
    s.depth = 0;
    Frame f;
    if (m_g.jsonRoot >= 0) {
        f.kind = FrameKind::TopValue;
        f.flags = kJsonDocument;
        push(s, f);
        pushValue(s, m_g.jsonRoot);
        return;
    }
    if (m_g.options.choice == ToolChoice::Required) {
        f.kind = FrameKind::Dsml;
        push(s, f);
        pushLit(s, m_g.openFull);
    } else {
        f.kind = FrameKind::Content;
        push(s, f);
    }
}

bool DsmlMachine::feed(MachineState& s, std::uint8_t byte, bool special) const {
    for (int guard = 0; guard <= kMaxFrames; ++guard) {
        switch (feedTop(s, byte, special)) {
        case Fed::Reject: return false;
        case Fed::Consumed: return true;
        case Fed::Refeed: break;
        }
    }
    return false;
}

bool DsmlMachine::mayEnd(const MachineState& s) const {
    const Frame& f = s.top();
    switch (f.kind) {
    case FrameKind::Reasoning:
    case FrameKind::Done: return true;
    case FrameKind::Content: return m_content.mayEnd(f.a);
    case FrameKind::Dsml: return f.flags & kAfterBlock;
    case FrameKind::TopValue: return (f.flags & kJsonDocument) && f.sub == 1;
    case FrameKind::Number:
        // A whole reply that is a number ends with it.
        return s.depth == 2 && (s.frames[0].flags & kJsonDocument) &&
               (f.sub == kNumZero || f.sub == kNumInt || f.sub == kNumFrac || f.sub == kNumExp);
    default: return false;
    }
}

int DsmlMachine::nextTagByte(const Frame& f) {
    return f.kind == FrameKind::RawValue && f.pos > 0 ? int(std::uint8_t(chat::kParamEnd[f.pos])) : -1;
}

bool DsmlMachine::free(const MachineState& s) const { return s.top().kind == FrameKind::Done; }
bool DsmlMachine::inBlock(const MachineState& s) const {
    const Frame& f = s.frames[0];
    return f.kind == FrameKind::Dsml || (f.kind == FrameKind::TopValue && (f.flags & kJsonDocument));
}

DsmlMachine::Fed DsmlMachine::feedTop(MachineState& s, std::uint8_t byte, bool special) const {
    Frame& f = s.top();
    switch (f.kind) {
    case FrameKind::Reasoning: {
        const std::string_view end = chat::kThinkEnd;
        if (byte == std::uint8_t(end[f.pos])) {
            if (++f.pos == end.size()) enterContent(s);
        } else {
            f.pos = byte == '<' ? 1 : 0;
        }
        return Fed::Consumed;
    }
    case FrameKind::Content:
        switch (m_content.step(f.a, byte)) {
        case MarkerDfa::Step::Reject: return Fed::Reject;
        case MarkerDfa::Step::Continue: return Fed::Consumed;
        case MarkerDfa::Step::Start: break;
        }
        f = Frame{};
        f.kind = FrameKind::Dsml;
        pushLit(s, m_g.openTail);
        return Fed::Consumed;
    case FrameKind::Dsml: return Fed::Reject;  // after the block only the EOS token
    case FrameKind::Lit: return feedLit(s, byte);
    case FrameKind::RawValue: return feedRaw(s, byte, special);
    case FrameKind::TopValue: return special ? Fed::Reject : feedTopValue(s, byte);
    case FrameKind::Value: return special ? Fed::Reject : feedValue(s, byte);
    case FrameKind::Object: return special ? Fed::Reject : feedObject(s, byte);
    case FrameKind::Array: return special ? Fed::Reject : feedArray(s, byte);
    case FrameKind::String: return special ? Fed::Reject : feedString(s, byte);
    case FrameKind::Number: return special ? Fed::Reject : feedNumber(s, byte);
    case FrameKind::Done: return Fed::Consumed;
    }
    return Fed::Reject;
}

DsmlMachine::Fed DsmlMachine::feedLit(MachineState& s, std::uint8_t byte) const {
    Frame& f = s.top();
    const LitList& list = m_g.lists[f.node];
    std::size_t lo = f.b, hi = f.b;
    for (std::size_t i = f.a; i < f.b; ++i) {
        const std::string& t = list.texts[i];
        if (t.size() > f.pos && std::uint8_t(t[f.pos]) == byte) {
            if (lo == f.b) lo = i;
            hi = i + 1;
        }
    }
    bool any = false;
    for (std::size_t i = lo; i < hi && !any; ++i) any = viable(s, list, i);
    if (!any) return Fed::Reject;
    f.a = std::uint16_t(lo), f.b = std::uint16_t(hi), ++f.pos;
    if (hi - lo == 1 && list.texts[lo].size() == f.pos) {
        --s.depth;
        litDone(s, list, list.args[lo]);
    }
    return Fed::Consumed;
}

bool DsmlMachine::viable(const MachineState& s, const LitList& list, std::size_t entry) const {
    const Frame& lit = s.top();
    const Frame& parent = s.frames[s.depth - 2u];
    const int arg = list.args[entry];
    switch (list.kind) {
    case ListKind::Item:
        return arg == kItemEnd ? parent.a > 0 : parent.a < m_g.options.maxCalls;
    case ListKind::ParamOrEnd: {
        const CompiledTool& t = m_g.tools[parent.node];
        const std::uint64_t all = t.params.size() >= 64 ? ~0ull : (1ull << t.params.size()) - 1;
        if (arg == kPoeNewline) return parent.flags & kAfterInvokeTag;
        if (arg == kPoeParam) return parent.seen != all;
        return (t.required & ~parent.seen) == 0;
    }
    case ListKind::ParamName: return !((parent.seen >> arg) & 1);
    case ListKind::Kind: {
        const ToolParam& p = m_g.tools[parent.node].params[parent.pos];
        return arg == kKindTrue ? p.allowTrue : p.allowFalse;
    }
    case ListKind::Words: {
        const std::uint8_t types = m_g.nodes[std::size_t(lit.seen)].types;
        return arg == kWordNull ? (types & kNull) != 0 : (types & kBool) != 0;
    }
    case ListKind::ObjectKey: return !((parent.seen >> arg) & 1);
    default: return true;
    }
}

void DsmlMachine::litDone(MachineState& s, const LitList& list, int arg) const {
    Frame& d = s.top();  // the frame that pushed the literal
    switch (list.kind) {
    case ListKind::Open: return pushLit(s, m_g.item);
    case ListKind::Item:
        if (arg == kItemInvoke) return pushLit(s, m_g.toolNames);
        d.flags |= kAfterBlock;
        return;
    case ListKind::ToolName:
        d.node = std::uint16_t(arg), d.seen = 0, ++d.a, d.flags |= kAfterInvokeTag;
        return pushLit(s, m_g.paramOrEnd);
    case ListKind::ParamOrEnd:
        d.flags &= std::uint8_t(~kAfterInvokeTag);
        if (arg == kPoeEnd) return pushLit(s, m_g.item);
        return pushLit(s, arg == kPoeNewline ? m_g.paramOrEnd : m_g.tools[d.node].paramList);
    case ListKind::ParamName:
        d.seen |= 1ull << arg, d.pos = std::uint16_t(arg);
        return pushLit(s, m_g.kind);
    case ListKind::Kind: {
        const ToolParam& p = m_g.tools[d.node].params[d.pos];
        if (arg == kKindTrue && p.rawEnum >= 0) return pushLit(s, p.rawEnum);
        Frame v;
        v.kind = arg == kKindTrue ? FrameKind::RawValue : FrameKind::TopValue;
        v.left = std::uint32_t(m_g.options.maxStringChars);
        push(s, v);
        if (arg == kKindFalse) pushValue(s, p.falseNode);
        return;
    }
    case ListKind::RawEnum: return pushLit(s, m_g.newline);
    case ListKind::Newline: return pushLit(s, m_g.paramOrEnd);
    case ListKind::ValueEnd:
        --s.depth;  // the TopValue frame
        return pushLit(s, m_g.paramOrEnd);
    case ListKind::Words:
    case ListKind::StringEnum: return valueDone(s);
    case ListKind::ObjectKey:
        d.seen |= 1ull << arg, d.pos = std::uint16_t(arg), ++d.a;
        d.sub = kObjAfterKey, d.left = kMaxWs;
        return;
    }
}

DsmlMachine::Fed DsmlMachine::feedRaw(MachineState& s, std::uint8_t byte, bool special) const {
    Frame& f = s.top();
    const std::string_view end = chat::kParamEnd;
    const bool charStart = f.u8need == 0;
    if (!utf8Step(f, byte)) return Fed::Reject;
    if (byte == std::uint8_t(end[f.pos])) {
        if (++f.pos == end.size()) {
            if (s.depth == 1) return Fed::Reject;  // an isolated value frame (token_mask.cpp)
            --s.depth;
            pushLit(s, m_g.newline);
        }
        return Fed::Consumed;
    }
    if (special) return Fed::Reject;  // a control token never writes value text
    f.pos = byte == '<' ? 1 : 0;      // '<' occurs only at the start of the end tag
    if (charStart) {
        if (f.left == 0) return Fed::Reject;
        --f.left;
    }
    return Fed::Consumed;
}

}  // namespace atelier::engine::constraint
