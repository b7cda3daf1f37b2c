#pragma once
// Utf8Text: makes a stream of generated text pieces valid UTF-8. A random-weight model (or a
// cut at max_tokens) can produce bytes that are no UTF-8 at all; every ChatBackend hands out
// valid UTF-8 so that local and remote turns agree byte for byte (JSON carries nothing else).
// Each invalid byte becomes U+FFFD; an incomplete character at the end of a piece is held back
// until the next piece completes it, or until flush(). One instance per text stream.

#include <string>
#include <string_view>

namespace atelier::agents {

class Utf8Text {
public:
    // The valid text of `held + piece`, keeping back an incomplete trailing character.
    std::string push(std::string_view piece);
    // The held-back bytes (as U+FFFD each), at the end of the stream.
    std::string flush();

private:
    std::string m_held;
};

// The whole of a text made valid (nothing held back) is toValidUtf8() in agent_model.h.

}  // namespace atelier::agents
