#pragma once
// allowedTokens: the set of tokens whose every byte the machine accepts from a state, by one
// walk of the token trie. Control tokens may only write structure (never value text); unused
// and empty tokens are allowed outside the tool-call block only; the EOS token only where the
// turn may end. Any thread (pure).

#include <cstdint>
#include <string_view>
#include <vector>

#include "constraint/dsml_machine.h"
#include "constraint/token_trie.h"

namespace atelier::engine::constraint {

struct TokenMask {
    std::vector<std::uint64_t> bits;  // [ceil(V / 64)] bit v: token v allowed
    std::size_t allowed = 0;
    bool test(std::size_t v) const { return (bits[v >> 6] >> (v & 63)) & 1; }
    void set(std::size_t v) { bits[v >> 6] |= 1ull << (v & 63); }
};

// Which tokens to decide: all; only normal tokens containing '"' or '<', plus the special,
// unused and empty ones (the rest is known from elsewhere); only normal tokens.
enum class TokenSubset { All, Exits, NormalOnly };
// `prefix`: only tokens that start with it (or are a prefix of it) are walked.
TokenMask allowedTokens(const TokenTrie& trie, const DsmlMachine& machine, const MachineState& state,
                        TokenSubset subset = TokenSubset::All, std::string_view prefix = {});

}  // namespace atelier::engine::constraint
