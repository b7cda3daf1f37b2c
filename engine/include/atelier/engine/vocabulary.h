#pragma once
// Vocabulary: what a byte-level BPE tokenizer is made of, in the form both file formats store
// (tokenizer.json's model.vocab/merges/added_tokens; GGUF's tokenizer.ggml.* arrays). Token
// texts use the GPT-2 byte-to-unicode mapping (space = "Ġ", newline = "Ċ").
// Thread-safe: plain value type.

#include <cstdint>
#include <string>
#include <vector>

namespace atelier::engine {

// GGUF token types (tokenizer.ggml.token_type); persisted: never reuse a value.
enum class TokenType : std::int32_t {
    Normal = 1,
    Unknown = 2,
    Control = 3,      // special tokens such as <｜begin▁of▁sentence｜>
    UserDefined = 4,  // added tokens that are not special
    Unused = 5,
    Byte = 6,
};

struct Vocabulary {
    std::vector<std::string> tokens;        // index = id; GPT-2 byte-level text
    std::vector<TokenType> types;           // same length as tokens
    std::vector<std::string> merges;        // "left right", in rank order
    std::int64_t bosId = 0;
    std::int64_t eosId = 1;
    std::int64_t padId = 1;
    std::string preTokenizer = "deepseek-v3";  // GGUF tokenizer.ggml.pre
};

// DeepSeek V4's special and added tokens as the chat format uses them (spec §11), in the order
// the built-in vocabulary assigns them ids.
const std::vector<std::string>& deepseekV4SpecialTokens();

// A deterministic byte-level vocabulary of exactly `vocabSize` tokens: BOS 0, EOS 1, PAD 2,
// the 256 byte tokens, BPE merges learned from a built-in English and code text (about 1,200;
// Unused placeholders fill any slots past those), and DeepSeek V4's special tokens at the end.
// `vocabSize` must leave room for the bytes and the special tokens (at least 512).
Vocabulary builtinVocabulary(std::int64_t vocabSize);

// The GPT-2 byte-to-unicode mapping: the UTF-8 text that stands for byte `b` in token texts.
std::string byteToUnicode(std::uint8_t b);

}  // namespace atelier::engine
