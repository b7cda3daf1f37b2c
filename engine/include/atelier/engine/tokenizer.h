#pragma once
// Tokenizer: DeepSeek's byte-level BPE (the GPT-2 byte alphabet, merges by rank), with the
// `deepseek-v3` pre-tokenizer (three PCRE2 regexes applied in sequence, HF Split "Isolated"
// semantics) and added/special tokens matched as whole tokens before pre-tokenization.
// Loads from a Hugging Face tokenizer.json or from a Vocabulary (what a GGUF stores).
// Thread-safe: a Tokenizer is an immutable shared value; encode() may be called from any
// thread concurrently (its word cache is guarded by a mutex inside).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "atelier/base/result.h"
#include "atelier/engine/vocabulary.h"

namespace atelier::engine {

using TokenId = std::int32_t;

class TokenizerData;  // the loaded tables (engine/src/tokenizer/tokenizer_data.h)

class Tokenizer {
public:
    // Reads a HF tokenizer.json (BPE model, Split/ByteLevel pre-tokenizers, ByteLevel decoder).
    // Errors name the file and what is unsupported or malformed.
    static Result<Tokenizer> fromFile(const std::filesystem::path& tokenizerJson);
    // The same from the file's text; `origin` names it in error messages.
    static Result<Tokenizer> fromJson(std::string_view json, const std::string& origin);
    // From a Vocabulary (tokenizer.ggml.* of a GGUF, or builtinVocabulary()). Control tokens are
    // special, UserDefined tokens are non-special added tokens, Unused tokens are never produced.
    static Result<Tokenizer> fromVocabulary(const Vocabulary& vocab);
    // The tokenizer of a model: an HF folder's (or its config.json's) tokenizer.json, or the
    // vocabulary embedded in a .gguf file.
    static Result<Tokenizer> forModel(const std::filesystem::path& modelPath);

    // Text (any bytes; invalid UTF-8 is kept byte for byte) to ids. Non-special added tokens are
    // always matched as whole tokens; special ones only when `special` is true, otherwise their
    // text is tokenized like any other text. No BOS/EOS is inserted.
    std::vector<TokenId> encode(std::string_view text, bool special = false) const;

    // Text as content: no added token is matched at all, so marker strings such as
    // "<｜Assistant｜>" inside a document or a tool result become ordinary text tokens and can
    // never forge a turn. This is what `tokenize` without --special prints.
    std::vector<TokenId> encodeContent(std::string_view text) const;

    // A rendered prompt: only the byte spans in `markers` (in order, non-overlapping) may become
    // added tokens, each when its text is exactly one added token of the vocabulary; all other
    // text is encoded as by encodeContent. This is how a chat template's own markers become
    // control tokens while the content between them cannot.
    using ByteSpan = std::pair<std::size_t, std::size_t>;  // [begin, end)
    std::vector<TokenId> encodeMarked(std::string_view text, std::span<const ByteSpan> markers) const;

    // Ids to bytes (byte-level decode; added tokens decode to their text). Fails on an id
    // outside the vocabulary, naming its position.
    Result<std::string> decode(std::span<const TokenId> ids) const;

    // The bytes one token decodes to; empty for an id outside the vocabulary.
    std::string_view tokenBytes(TokenId id) const;
    // The id of a token by its text as the vocabulary stores it ("Ġthe", "<｜User｜>").
    std::optional<TokenId> tokenId(std::string_view tokenText) const;
    bool isSpecial(TokenId id) const;

    std::int64_t vocabSize() const;
    TokenId bosId() const;
    TokenId eosId() const;
    // The tables as a Vocabulary (for writing a GGUF or a tokenizer.json).
    const Vocabulary& vocabulary() const;

private:
    explicit Tokenizer(std::shared_ptr<const TokenizerData> data) : m_data(std::move(data)) {}
    std::shared_ptr<const TokenizerData> m_data;
};

// Turns ids into text as they are generated, holding back the bytes of a UTF-8 sequence that is
// not complete yet, so that every chunk returned is whole characters (bytes that can never
// become valid UTF-8 are passed through). The concatenation of every push() and the final
// flush() equals tokenizer.decode(all ids). One thread at a time.
class StreamingDetokenizer {
public:
    explicit StreamingDetokenizer(Tokenizer tokenizer) : m_tokenizer(std::move(tokenizer)) {}
    // The text that became complete with `id` (possibly empty); ids outside the vocabulary
    // decode to nothing.
    std::string push(TokenId id);
    // Whatever is still held back (an incomplete sequence at the end of the stream).
    std::string flush();

private:
    Tokenizer m_tokenizer;
    std::string m_pending;  // at most 3 bytes of an unfinished UTF-8 sequence
};

// A HF tokenizer.json for `vocab`: BPE model (vocab, merges in "a b" form), added_tokens for
// Control (special) and UserDefined (non-special) tokens, the DeepSeek V3 pre-tokenizer and the
// ByteLevel decoder. Tokenizer::fromJson(toTokenizerJson(v)) encodes like fromVocabulary(v).
std::string toTokenizerJson(const Vocabulary& vocab);

// Reads a HF tokenizer.json into a Vocabulary (holes in the id range become Unused "[PAD<i>]"
// tokens, as llama.cpp's converter does). `preTokenizer` is "deepseek-v3" or "gpt2" when the
// file's pre-tokenizer is one of those, else "custom".
Result<Vocabulary> readTokenizerJson(const std::filesystem::path& tokenizerJson);

}  // namespace atelier::engine
