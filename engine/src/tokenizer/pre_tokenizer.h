#pragma once
// PreTokenizer: a sequence of regex splits with Hugging Face's Split "Isolated" behaviour: each
// stage cuts every piece from the previous stage into its matches and the gaps between them
// (both kept, empty ones dropped). Compiled with PCRE2 in UTF + UCP mode, JIT when available;
// invalid UTF-8 never matches and so stays in the gaps, byte for byte.
// Thread-safe: split() is const and allocates its own match data.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/base/result.h"

namespace atelier::engine {

class PreTokenizer {
public:
    // `patterns` in PCRE2 syntax; `literal[i]` marks a plain string (HF {"String": ...}).
    static Result<PreTokenizer> create(const std::vector<std::string>& patterns,
                                       const std::vector<bool>& literal = {});

    // DeepSeek V3's three regexes (gguf-deepseek4.md §2.2), in order.
    static const std::vector<std::string>& deepseekV3Patterns();
    // GPT-2's single regex (ByteLevel with use_regex, GGUF pre "gpt2").
    static const std::vector<std::string>& gpt2Patterns();

    // Appends the pieces of `text` to `out` in order; their concatenation is `text`.
    void split(std::string_view text, std::vector<std::string_view>& out) const;

    const std::vector<std::string>& patterns() const { return m_patterns; }

    struct Stage;  // one compiled regex (opaque; defined in the .cpp)

private:
    std::vector<std::shared_ptr<const Stage>> m_stages;
    std::vector<std::string> m_patterns;
};

}  // namespace atelier::engine
