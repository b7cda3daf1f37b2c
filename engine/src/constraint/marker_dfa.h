#pragma once
// MarkerDfa: an Aho-Corasick automaton over the markers that matter in free content text, as
// the chat-format parser sees them: forbidden markers (the text is malformed if one appears)
// and the one start marker (`\n\n<｜DSML｜tool_calls`) that opens the tool-call block. The
// parser commits to the marker that starts earliest, so a forbidden marker inside a pending
// start marker is fine until the start marker fails, and then it is an error: from such a
// "committed" state only the start marker's next byte is allowed.
// Immutable after construction; any thread reads.

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace atelier::engine::constraint {

class MarkerDfa {
public:
    MarkerDfa(const std::vector<std::string_view>& forbidden, std::string_view start);

    enum class Step { Reject, Continue, Start };
    // Advances `node` (0 = nothing pending) by one byte of content text.
    Step step(std::uint16_t& node, std::uint8_t byte) const;
    // Whether the text may end here (the EOS token): not in the middle of a committed marker.
    bool mayEnd(std::uint16_t node) const { return !m_nodes[node].committed; }

private:
    struct Node {
        std::array<std::uint16_t, 256> next{};
        std::uint16_t depth = 0;
        bool forbiddenSuffix = false;  // some forbidden marker ends here
        bool startPrefix = false;      // the node's text is a prefix of the start marker
        bool startComplete = false;
        bool committed = false;        // startPrefix and a forbidden marker lies inside it
    };
    std::vector<Node> m_nodes;
};

}  // namespace atelier::engine::constraint
