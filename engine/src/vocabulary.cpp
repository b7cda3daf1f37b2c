#include "atelier/engine/vocabulary.h"

#include <algorithm>
#include <array>
#include <cassert>

#include "tokenizer/bpe_trainer.h"

namespace atelier::engine {

const std::vector<std::string>& deepseekV4SpecialTokens() {
    static const std::vector<std::string> tokens = {
        "<｜User｜>",          "<｜Assistant｜>",      "<think>",
        "</think>",            "｜DSML｜",             "<｜latest_reminder｜>",
        "<｜action｜>",        "<｜query｜>",          "<｜authority｜>",
        "<｜domain｜>",        "<｜title｜>",          "<｜read_url｜>",
        "<｜extracted_url｜>", "<｜fim▁hole｜>",       "<｜fim▁begin｜>",
        "<｜fim▁end｜>",
    };
    return tokens;
}

std::string byteToUnicode(std::uint8_t b) {
    // GPT-2: printable Latin-1 bytes map to themselves; the others to U+0100 upwards in order.
    static const std::array<std::uint32_t, 256> table = [] {
        std::array<std::uint32_t, 256> t{};
        std::array<bool, 256> direct{};
        for (int c = '!'; c <= '~'; ++c) direct[std::size_t(c)] = true;
        for (int c = 0xA1; c <= 0xAC; ++c) direct[std::size_t(c)] = true;
        for (int c = 0xAE; c <= 0xFF; ++c) direct[std::size_t(c)] = true;
        std::uint32_t next = 256;
        for (int c = 0; c < 256; ++c) t[std::size_t(c)] = direct[std::size_t(c)] ? std::uint32_t(c) : next++;
        return t;
    }();
    const std::uint32_t cp = table[b];
    std::string out;
    if (cp < 0x80) {
        out.push_back(char(cp));
    } else {
        out.push_back(char(0xC0 | (cp >> 6)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    }
    return out;
}

Vocabulary builtinVocabulary(std::int64_t vocabSize) {
    Vocabulary v;
    auto add = [&](std::string text, TokenType type) {
        v.tokens.push_back(std::move(text));
        v.types.push_back(type);
    };
    add("<｜begin▁of▁sentence｜>", TokenType::Control);
    add("<｜end▁of▁sentence｜>", TokenType::Control);
    add("<｜▁pad▁｜>", TokenType::Control);
    for (int b = 0; b < 256; ++b) add(byteToUnicode(std::uint8_t(b)), TokenType::Normal);
    const auto& specials = deepseekV4SpecialTokens();
    const std::int64_t fill = vocabSize - std::int64_t(v.tokens.size()) - std::int64_t(specials.size());
    assert(fill >= 0);
    // Merges learned once per process from the built-in text (greedy BPE: the first k merges
    // of a long run are those of a short one, so every size takes a prefix of the same run).
    static const LearnedMerges learned = learnBpeMerges(builtinTrainingText(), std::size_t(1) << 17);
    const std::size_t newTokens = std::min(learned.newTokens.size(), std::size_t(fill));
    for (std::size_t i = 0; i < newTokens; ++i) add(learned.newTokens[i], TokenType::Normal);
    for (std::size_t i = 0; i < learned.merges.size() && learned.tokensAfter[i] <= newTokens; ++i)
        v.merges.push_back(learned.merges[i]);
    // When the text has no more pairs to merge, the remaining slots are unused placeholders.
    for (std::int64_t i = std::int64_t(newTokens); i < fill; ++i)
        add("<｜place▁holder▁no▁" + std::to_string(i) + "｜>", TokenType::Unused);
    for (const auto& s : specials)
        add(s, s.rfind("<｜", 0) == 0 || s == "｜DSML｜" || s.front() == '<' ? TokenType::Control
                                                                       : TokenType::UserDefined);
    v.bosId = 0;
    v.eosId = 1;
    v.padId = 2;
    return v;
}

}  // namespace atelier::engine
