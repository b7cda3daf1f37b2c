// DsmlMachine::closingText: how a tool-calls block ends from where the model has got to, for
// decoding that must finish a call within the tokens left (dsml_constraint.cpp).

#include "chat/dsv4_tokens.h"
#include "constraint/dsml_machine.h"
#include "constraint/machine_internal.h"

namespace atelier::engine::constraint {

std::optional<std::string> DsmlMachine::closingText(const MachineState& start) const {
    if (!inBlock(start)) return std::nullopt;
    MachineState s;
    s.copyFrom(start);
    std::string out;
    // Each chunk closes at least one frame (or a literal), so the stack bounds the loop.
    for (int guard = 0; guard < 4 * kMaxFrames; ++guard) {
        if (s.top().kind == FrameKind::Dsml) {
            if (s.top().flags & kAfterBlock) return out;
            return std::nullopt;
        }
        if (s.top().kind == FrameKind::TopValue && (s.top().flags & kJsonDocument)) {
            if (s.top().sub == 1) return out;
            return std::nullopt;
        }
        auto chunk = closingChunk(s);
        if (!chunk) return std::nullopt;
        for (char c : *chunk)
            if (!feed(s, std::uint8_t(c), false)) return std::nullopt;
        out += *chunk;
    }
    return std::nullopt;
}

// The next piece of closing text for the top frame of `s` (a finished number is popped from
// `s` instead, with an empty piece: the byte after it ends it).
std::optional<std::string> DsmlMachine::closingChunk(MachineState& s) const {
    const Frame& f = s.top();
    switch (f.kind) {
    case FrameKind::Lit: {
        const LitList& list = m_g.lists[f.node];
        int want = -1;  // the entry's arg that closes; -1: the only live entry
        if (list.kind == ListKind::Item) want = kItemEnd;
        else if (list.kind == ListKind::ParamOrEnd) want = kPoeEnd;
        else if (list.kind == ListKind::ParamName || list.kind == ListKind::Kind) return std::nullopt;
        for (std::size_t i = f.a; i < f.b; ++i)
            if (want >= 0 ? list.args[i] == want : f.b - f.a == 1) return list.texts[i].substr(f.pos);
        return std::nullopt;
    }
    case FrameKind::RawValue:
        if (f.u8need > 0) return std::nullopt;
        return std::string(chat::kParamEnd.substr(f.pos));
    case FrameKind::TopValue:
        if (f.sub != 1) return std::nullopt;
        return m_g.lists[std::size_t(m_g.valueEnd)].texts.front();
    case FrameKind::Object: return std::string("}");  // feed() refuses it while keys are missing
    case FrameKind::Array: return std::string("]");
    case FrameKind::String:
        if (f.sub != kStrNormal || f.u8need > 0) return std::nullopt;
        return std::string("\"");
    case FrameKind::Number:
        if (f.sub != kNumZero && f.sub != kNumInt && f.sub != kNumFrac && f.sub != kNumExp)
            return std::nullopt;
        --s.depth;
        valueDone(s);
        return std::string();
    default: return std::nullopt;  // a value not begun, reasoning, content
    }
}

}  // namespace atelier::engine::constraint
