// allowedTokens: depth-first over the trie with one machine state per depth; a child's state
// is its parent's copied and fed the child's byte, so shared prefixes are fed once.

#include "constraint/token_mask.h"

namespace atelier::engine::constraint {
namespace {

struct Walk {
    const TokenTrie::Trie& trie;
    const DsmlMachine& machine;
    std::vector<MachineState> states;  // [maxDepth + 1]
    TokenMask& mask;
    std::string_view prefix;

    void node(std::uint32_t index, std::size_t depth) {
        const auto& nodes = trie.nodes;
        const TokenTrie::Node& n = nodes[index];
        for (std::uint32_t c = n.firstChild; c < n.firstChild + n.childCount; ++c) {
            if (depth < prefix.size() && nodes[c].byte != std::uint8_t(prefix[depth])) continue;
            MachineState& next = states[depth + 1];
            next.copyFrom(states[depth]);
            if (!machine.feed(next, nodes[c].byte, false)) continue;
            const TokenTrie::Node& child = nodes[c];
            for (std::uint32_t t = child.firstToken; t < child.firstToken + child.tokenCount; ++t)
                mask.set(std::size_t(trie.tokens[t]));
            mask.allowed += child.tokenCount;
            if (child.childCount > 0) node(c, depth + 1);
        }
    }
};

bool acceptsAll(const DsmlMachine& machine, const MachineState& state, std::string_view bytes) {
    MachineState s;
    s.copyFrom(state);
    for (char c : bytes)
        if (!machine.feed(s, std::uint8_t(c), true)) return false;
    return true;
}

}  // namespace

TokenMask allowedTokens(const TokenTrie& trie, const DsmlMachine& machine, const MachineState& state,
                        TokenSubset subset, std::string_view prefix) {
    TokenMask mask;
    mask.bits.assign((std::size_t(trie.vocabSize()) + 63) / 64, 0);
    const TokenTrie::Trie& t = subset == TokenSubset::Exits ? trie.exits() : trie.all();
    Walk walk{t, machine, std::vector<MachineState>(t.maxDepth + 1), mask, prefix};
    walk.states[0].copyFrom(state);
    walk.node(0, 0);
    if (subset == TokenSubset::NormalOnly) return mask;
    const Tokenizer& tok = trie.tokenizer();
    const bool inBlock = machine.inBlock(state);
    auto allow = [&mask](std::int32_t id) {
        if (!mask.test(std::size_t(id))) mask.set(std::size_t(id)), ++mask.allowed;
    };
    for (std::int32_t id : trie.specialTokens()) {
        if (id == tok.eosId() ? machine.mayEnd(state) : acceptsAll(machine, state, tok.tokenBytes(id)))
            allow(id);
    }
    if (!inBlock) {
        for (std::int32_t id : trie.unusedTokens())
            if (acceptsAll(machine, state, tok.tokenBytes(id))) allow(id);
        for (std::int32_t id : trie.emptyTokens()) allow(id);
    }
    return mask;
}

}  // namespace atelier::engine::constraint
