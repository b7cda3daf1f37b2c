#pragma once
// DsmlMachine: the byte-level pushdown automaton of an assistant turn under a DsmlGrammar.
// A MachineState is a small fixed-size stack of frames (copied once per trie edge while a mask
// is computed, so only its live frames are copied); feed() advances it by one byte or says the
// byte is not allowed. Every state it accepts can still be completed (no dead ends): literal
// lists only narrow to entries that remain viable, and budgets force the closing text.
// The machine is immutable; states are values. Any thread.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "constraint/dsml_grammar.h"
#include "constraint/marker_dfa.h"

namespace atelier::engine::constraint {

enum class FrameKind : std::uint8_t {
    Reasoning,  // pos: progress through "</think>"
    Content,    // a: MarkerDfa node
    Dsml,       // the block: node tool, seen params used, pos current param, a calls, flags
    Lit,        // node list, a..b live entries, pos bytes matched, left context schema node
    RawValue,   // string="true" value: pos end-tag progress, left chars left, UTF-8 state
    TopValue,   // string="false" value: sub 0 value pending, 1 after it (left: whitespace)
    Value,      // a JSON value is expected: node schema, left whitespace
    Object,     // node schema, sub ObjectSub, seen keys, pos current key, a keys, left ws
    Array,      // node schema, sub ArraySub, a items, left ws
    String,     // JSON string: sub StringSub, left chars, pos end-tag progress, UTF-8 state
    Number,     // sub NumberSub, a digits; flags kIntegerOnly
    Done,       // after the end of the turn: unconstrained
};

struct Frame {
    FrameKind kind = FrameKind::Done;
    std::uint8_t sub = 0;
    std::uint8_t flags = 0;
    std::uint8_t u8need = 0;             // UTF-8 continuation bytes still expected
    std::uint8_t u8lo = 0x80, u8hi = 0xBF;  // range of the next continuation byte
    std::uint16_t node = 0;
    std::uint16_t a = 0, b = 0, pos = 0;
    std::uint32_t left = 0;
    std::uint64_t seen = 0;
};

inline constexpr int kMaxFrames = 32;

struct MachineState {
    std::array<Frame, kMaxFrames> frames;
    std::uint8_t depth = 0;

    Frame& top() { return frames[depth - 1]; }
    const Frame& top() const { return frames[depth - 1]; }
    void copyFrom(const MachineState& o) {
        depth = o.depth;
        for (int i = 0; i < depth; ++i) frames[std::size_t(i)] = o.frames[std::size_t(i)];
    }
    // Bytes that identify the state for mask caching; budgets above `cap` are written as cap
    // (a token cannot spend more than its own length).
    void appendKey(std::string& out, std::uint32_t cap) const;
};

class DsmlMachine {
public:
    explicit DsmlMachine(DsmlGrammar grammar);

    MachineState initial() const;
    // One byte of a token. `special`: the byte belongs to a special (control) token, which
    // may only write structure, never the inside of a string value.
    bool feed(MachineState& s, std::uint8_t byte, bool special) const;
    // Whether the end-of-sentence token may come next (and what follows it is unconstrained).
    bool mayEnd(const MachineState& s) const;
    // Whether the state constrains nothing (reasoning) or nothing any more (after the turn).
    bool free(const MachineState& s) const;
    bool inBlock(const MachineState& s) const;
    // Whether the top frame is string text (a string value or JSON string) inside a larger
    // state. Such a frame alone (depth 1) rejects the bytes that would leave it, so masks of
    // the text part can be shared by every string in every position.
    // A string value part-way through its end tag (pos > 0) is treated as the same value at
    // pos 0, except for the tokens that start with the tag's next byte (nextTagByte): those
    // are decided with the full state. Exact only while the budget cannot run out within a
    // token (`cap`), as a tag byte is free and other bytes are not.
    static bool inTextFrame(const Frame& f, std::uint32_t cap) {
        return f.kind == FrameKind::String || (f.kind == FrameKind::RawValue && (f.pos == 0 || f.left > cap));
    }
    static int nextTagByte(const Frame& f);  // -1 when pos == 0 or not a string value
    static bool inText(const MachineState& s, std::uint32_t cap) {
        return s.depth > 1 && inTextFrame(s.top(), cap);
    }
    const DsmlGrammar& grammar() const { return m_g; }
    // The text that ends the tool-calls block from `s` (then only the end-of-sentence token may
    // come) without writing anything the model has not begun: the rest of the value being
    // written (a string closed as it is, a number ended, open JSON containers closed), the rest
    // of a tag, or of a name that only one entry still matches, then the invoke's and the
    // block's end tags. None when no such text is valid: outside the block, before its first
    // call, a required parameter or key missing, a value or parameter not begun, inside an
    // escape or a UTF-8 character (dsml_closing.cpp).
    std::optional<std::string> closingText(const MachineState& s) const;

private:
    enum class Fed { Reject, Consumed, Refeed };
    Fed feedTop(MachineState& s, std::uint8_t byte, bool special) const;
    Fed feedLit(MachineState& s, std::uint8_t byte) const;
    Fed feedRaw(MachineState& s, std::uint8_t byte, bool special) const;
    Fed feedValue(MachineState& s, std::uint8_t byte) const;
    Fed feedObject(MachineState& s, std::uint8_t byte) const;
    Fed feedArray(MachineState& s, std::uint8_t byte) const;
    Fed feedString(MachineState& s, std::uint8_t byte) const;
    Fed feedNumber(MachineState& s, std::uint8_t byte) const;
    Fed feedTopValue(MachineState& s, std::uint8_t byte) const;
    bool viable(const MachineState& s, const LitList& list, std::size_t entry) const;
    void litDone(MachineState& s, const LitList& list, int arg) const;
    void enterContent(MachineState& s) const;
    void push(MachineState& s, Frame f) const;
    void pushLit(MachineState& s, int list, std::uint32_t context = 0) const;
    void pushValue(MachineState& s, int node) const;
    void valueDone(MachineState& s) const;
    std::optional<std::string> closingChunk(MachineState& s) const;

    DsmlGrammar m_g;
    MarkerDfa m_content;
};

}  // namespace atelier::engine::constraint
