// DsmlMachine, the JSON layer: a string="false" parameter value as a JSON value of its
// schema (RFC 8259 syntax, as nlohmann::json::accept checks it), followed by the end tag.
// A completed value pops its frame; the parent already knows what comes next.

#include <string_view>

#include "chat/dsv4_tokens.h"
#include "constraint/dsml_machine.h"
#include "constraint/machine_internal.h"

namespace atelier::engine::constraint {

void DsmlMachine::pushValue(MachineState& s, int node) const {
    Frame v;
    v.kind = FrameKind::Value;
    v.node = std::uint16_t(node);
    v.left = kMaxWs;
    push(s, v);
}

void DsmlMachine::valueDone(MachineState& s) const {
    Frame& p = s.top();
    if (p.kind == FrameKind::TopValue) p.sub = 1, p.left = kMaxWs;
}

DsmlMachine::Fed DsmlMachine::feedTopValue(MachineState& s, std::uint8_t byte) const {
    Frame& f = s.top();
    if (isJsonWs(byte)) return spendWs(f) ? Fed::Consumed : Fed::Reject;
    if (byte != '<' || (f.flags & kJsonDocument)) return Fed::Reject;
    pushLit(s, m_g.valueEnd);
    return Fed::Refeed;
}

DsmlMachine::Fed DsmlMachine::feedValue(MachineState& s, std::uint8_t byte) const {
    Frame& f = s.top();
    const SchemaNode& n = m_g.nodes[f.node];
    if (isJsonWs(byte)) return spendWs(f) ? Fed::Consumed : Fed::Reject;
    const std::uint16_t node = f.node;
    const bool roomForContainer = s.depth < kMaxFrames - 4;
    Frame v;
    v.node = node;
    v.left = kMaxWs;
    if (byte == '{' && (n.types & kObject) && roomForContainer) {
        v.kind = FrameKind::Object;
        f = v;
        return Fed::Consumed;
    }
    if (byte == '[' && (n.types & kArray) && roomForContainer) {
        v.kind = FrameKind::Array;
        f = v;
        return Fed::Consumed;
    }
    if (byte == '"' && (n.types & kString)) {
        --s.depth;
        if (n.stringEnum >= 0) {
            pushLit(s, n.stringEnum);
            return Fed::Refeed;
        }
        v.kind = FrameKind::String;
        v.left = std::uint32_t(m_g.options.maxStringChars);
        push(s, v);
        return Fed::Consumed;
    }
    if ((byte == '-' || (byte >= '0' && byte <= '9')) && (n.types & (kInteger | kNumber))) {
        v.kind = FrameKind::Number;
        v.flags = (n.types & kNumber) ? 0 : kIntegerOnly;
        f = v;
        return Fed::Refeed;
    }
    if (byte == 't' || byte == 'f' || byte == 'n') {
        --s.depth;
        pushLit(s, m_g.words, node);
        return Fed::Refeed;
    }
    return Fed::Reject;
}

DsmlMachine::Fed DsmlMachine::feedObject(MachineState& s, std::uint8_t byte) const {
    Frame& f = s.top();
    const SchemaNode& n = m_g.nodes[f.node];
    if (isJsonWs(byte)) return spendWs(f) ? Fed::Consumed : Fed::Reject;
    const bool complete = (n.required & ~f.seen) == 0;
    const std::uint64_t all = n.propNodes.size() >= 64 ? ~0ull : (1ull << n.propNodes.size()) - 1;
    const bool moreKeys = n.anyKeys ? f.a < kMaxAnyKeys : (f.seen & all) != all;
    if (byte == '}' && complete && (f.sub == kObjOpen || f.sub == kObjAfterValue)) {
        --s.depth;
        valueDone(s);
        return Fed::Consumed;
    }
    switch (f.sub) {
    case kObjAfterValue:
        if (byte != ',' || !moreKeys) return Fed::Reject;
        f.sub = kObjExpectKey, f.left = kMaxWs;
        return Fed::Consumed;
    case kObjAfterKey: {
        if (byte != ':') return Fed::Reject;
        const int child = n.anyKeys ? 0 : n.propNodes[f.pos];
        f.sub = kObjAfterValue, f.left = kMaxWs;
        pushValue(s, child);
        return Fed::Consumed;
    }
    default: break;  // a key starts
    }
    if (byte != '"' || !moreKeys) return Fed::Reject;
    if (!n.anyKeys) {
        pushLit(s, n.keyList);
        return Fed::Refeed;
    }
    Frame k;
    k.kind = FrameKind::String;
    k.flags = kIsKey;
    k.left = kMaxKeyChars;
    push(s, k);
    return Fed::Consumed;
}

DsmlMachine::Fed DsmlMachine::feedArray(MachineState& s, std::uint8_t byte) const {
    Frame& f = s.top();
    if (isJsonWs(byte)) return spendWs(f) ? Fed::Consumed : Fed::Reject;
    if (byte == ']' && f.sub != kArrAfterComma) {
        --s.depth;
        valueDone(s);
        return Fed::Consumed;
    }
    if (f.sub == kArrAfterValue) {
        if (byte != ',' || f.a >= m_g.options.maxArrayItems) return Fed::Reject;
        f.sub = kArrAfterComma, f.left = kMaxWs;
        return Fed::Consumed;
    }
    if (f.a >= m_g.options.maxArrayItems) return Fed::Reject;
    f.sub = kArrAfterValue, f.left = kMaxWs, ++f.a;
    pushValue(s, m_g.nodes[f.node].items);
    return Fed::Refeed;
}

DsmlMachine::Fed DsmlMachine::feedString(MachineState& s, std::uint8_t byte) const {
    Frame& f = s.top();
    // The parameter's raw text ends at the first end tag, wherever it is: never write it.
    const std::string_view end = chat::kParamEnd;
    f.pos = byte == std::uint8_t(end[f.pos]) ? f.pos + 1 : byte == '<' ? 1 : 0;
    if (f.pos == end.size()) return Fed::Reject;
    auto isHex = [](std::uint8_t c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    };
    if (f.sub == kStrEscape) {
        if (byte == 'u') return f.sub = kStrHex, Fed::Consumed;
        if (std::string_view("\"\\/bfnrt").find(char(byte)) == std::string_view::npos) return Fed::Reject;
        return f.sub = kStrNormal, Fed::Consumed;
    }
    if (f.sub >= kStrHex) {
        if (!isHex(byte)) return Fed::Reject;
        // No \uD800-\uDFFF: a lone surrogate is invalid and pairs are not worth the states.
        if (f.sub == kStrHex && (byte == 'd' || byte == 'D')) f.flags |= kSurrogate;
        else if (f.sub == kStrHex + 1 && (f.flags & kSurrogate) && !(byte >= '0' && byte <= '7'))
            return Fed::Reject;
        if (f.sub == kStrHex + 1) f.flags &= std::uint8_t(~kSurrogate);
        f.sub = f.sub == kStrHex + 3 ? kStrNormal : std::uint8_t(f.sub + 1);
        return Fed::Consumed;
    }
    if (f.u8need > 0) return utf8Step(f, byte) ? Fed::Consumed : Fed::Reject;
    if (byte == '"') {
        if (s.depth == 1) return Fed::Reject;  // an isolated string frame (token_mask.cpp)
        const bool key = f.flags & kIsKey;
        --s.depth;
        if (key) {
            Frame& o = s.top();
            o.sub = kObjAfterKey, o.left = kMaxWs, ++o.a;
        } else {
            valueDone(s);
        }
        return Fed::Consumed;
    }
    if (byte < 0x20 || f.left == 0) return Fed::Reject;
    --f.left;
    if (byte == '\\') return f.sub = kStrEscape, Fed::Consumed;
    return utf8Step(f, byte) ? Fed::Consumed : Fed::Reject;
}

namespace {

// Whether some integer written with the digits read so far (magnitude `mag`, `digits` of them,
// `negative`) and possibly more digits (up to kMaxDigits in all; none after a leading 0) lies
// within the node's bounds.
bool boundsReachable(const SchemaNode& n, std::uint64_t mag, int digits, bool negative) {
    __int128 lo = n.hasMin ? n.minimum : -(__int128(1) << 100);
    __int128 hi = n.hasMax ? n.maximum : (__int128(1) << 100);
    const int more = mag == 0 ? 0 : int(kMaxDigits) - digits;
    __int128 scale = 1;
    for (int k = 0; k <= more; ++k, scale *= 10) {
        __int128 a = __int128(mag) * scale, b = a + scale - 1;  // magnitudes with k more digits
        if (negative) std::swap(a, b), a = -a, b = -b;
        if (a <= hi && b >= lo) return true;
    }
    return false;
}

// Whether some negative integer (at most kMaxDigits digits) lies within the node's bounds.
bool negativeReachable(const SchemaNode& n) {
    std::int64_t most = 1;
    for (int i = 0; i < kMaxDigits; ++i) most *= 10;
    const std::int64_t lo = n.hasMin ? std::max(n.minimum, -(most - 1)) : -(most - 1);
    const std::int64_t hi = n.hasMax ? std::min<std::int64_t>(n.maximum, -1) : -1;
    return lo <= hi;
}

bool withinBounds(const SchemaNode& n, std::uint64_t mag, bool negative) {
    const __int128 v = negative ? -__int128(mag) : __int128(mag);
    return (!n.hasMin || v >= n.minimum) && (!n.hasMax || v <= n.maximum);
}

}  // namespace

DsmlMachine::Fed DsmlMachine::feedNumber(MachineState& s, std::uint8_t byte) const {
    Frame& f = s.top();
    const bool digit = byte >= '0' && byte <= '9';
    const SchemaNode& node = m_g.nodes[f.node];
    const bool bounded = (f.flags & kIntegerOnly) && (node.hasMin || node.hasMax);
    if (bounded && (f.sub == kNumStart || f.sub == kNumMinus || f.sub == kNumInt)) {
        // Integer bounds: a digit is allowed only if some completion stays within them, and the
        // number may end only within them.
        if (byte == '-' && f.sub == kNumStart) {
            if (!negativeReachable(node)) return Fed::Reject;
            f.flags |= kNegative;
        } else if (digit) {
            const std::uint64_t mag = f.seen * 10 + std::uint64_t(byte - '0');
            if (f.a >= kMaxDigits || !boundsReachable(node, mag, f.a + 1, f.flags & kNegative))
                return Fed::Reject;
            f.seen = mag;
        } else if (f.sub == kNumInt && !withinBounds(node, f.seen, f.flags & kNegative)) {
            return Fed::Reject;
        }
    } else if (bounded && f.sub == kNumZero && !digit && !withinBounds(node, 0, false)) {
        return Fed::Reject;
    }
    const bool fracOk = !(f.flags & kIntegerOnly) && f.a < kMaxDigits;
    auto to = [&f](std::uint8_t sub) { return f.sub = sub, Fed::Consumed; };
    switch (f.sub) {
    case kNumStart:
        if (byte == '-') return to(kNumMinus);
        [[fallthrough]];
    case kNumMinus:
        if (!digit) return Fed::Reject;
        ++f.a;
        return to(byte == '0' ? kNumZero : kNumInt);
    case kNumInt:
        if (digit) {
            if (f.a >= kMaxDigits) return Fed::Reject;
            ++f.a;
            return Fed::Consumed;
        }
        [[fallthrough]];
    case kNumZero:
        if (byte == '.' && fracOk) return to(kNumDot);
        if ((byte == 'e' || byte == 'E') && fracOk) return to(kNumE);
        break;  // the number ended before this byte
    case kNumDot:
        if (!digit) return Fed::Reject;
        ++f.a;
        return to(kNumFrac);
    case kNumFrac:
        if (digit) {
            if (f.a >= kMaxDigits) return Fed::Reject;
            ++f.a;
            return Fed::Consumed;
        }
        if (byte == 'e' || byte == 'E') return to(kNumE);
        break;
    case kNumE:
        if (byte == '+' || byte == '-') return to(kNumESign);
        [[fallthrough]];
    case kNumESign:
        if (!digit) return Fed::Reject;
        ++f.pos;
        return to(kNumExp);
    case kNumExp:
        if (digit) {
            if (f.pos >= kMaxExpDigits) return Fed::Reject;
            ++f.pos;
            return Fed::Consumed;
        }
        break;
    default: return Fed::Reject;
    }
    --s.depth;
    valueDone(s);
    return Fed::Refeed;
}

}  // namespace atelier::engine::constraint
