#include "atelier/engine/tokenizer.h"

#include <fstream>
#include <sstream>

#include "tokenizer/byte_level.h"
#include "tokenizer/tokenizer_data.h"

namespace atelier::engine {
namespace {

bool isAddedType(TokenType t) {
    return t == TokenType::Control || t == TokenType::UserDefined || t == TokenType::Unused;
}

}  // namespace

Result<std::shared_ptr<const TokenizerData>> TokenizerData::build(TokenizerSpec spec) {
    auto d = std::make_shared<TokenizerData>();
    Vocabulary& v = spec.vocab;
    if (v.tokens.empty()) return unexpected(Error::badInput("the vocabulary is empty"));
    if (v.types.size() != v.tokens.size())
        return unexpected(Error::badInput("the vocabulary has " + std::to_string(v.tokens.size()) +
                                          " tokens but " + std::to_string(v.types.size()) + " token types"));
    auto pre = PreTokenizer::create(spec.splitPatterns, spec.literalPatterns);
    if (!pre) return unexpected(pre.error());
    d->pre = std::move(*pre);
    auto bpe = BpeModel::create(v, spec.ignoreMerges);
    if (!bpe) return unexpected(bpe.error());
    d->bpe = std::move(*bpe);
    d->decoded.resize(v.tokens.size());
    d->special.resize(v.tokens.size());
    for (std::size_t id = 0; id < v.tokens.size(); ++id) {
        const std::string& text = v.tokens[id];
        const TokenType type = v.types[id];
        d->special[id] = type == TokenType::Control;
        if (isAddedType(type)) {
            d->decoded[id] = text;  // added tokens stand for their own text
        } else {
            // HF's ByteLevel decoder keeps a token's UTF-8 as is when it is not byte-level text.
            d->decoded[id] = byteLevelDecode(text).value_or(text);
        }
        if (type == TokenType::Control || type == TokenType::UserDefined)
            d->added.add(text, TokenId(id), type == TokenType::Control);
    }
    d->vocab = std::move(v);
    return std::shared_ptr<const TokenizerData>(std::move(d));
}

Result<Tokenizer> Tokenizer::fromJson(std::string_view json, const std::string& origin) {
    auto spec = parseTokenizerJson(json, origin);
    if (!spec) return unexpected(spec.error());
    auto data = TokenizerData::build(std::move(*spec));
    if (!data) return unexpected(Error::badInput(origin + ": " + data.error().message));
    return Tokenizer(std::move(*data));
}

Result<Tokenizer> Tokenizer::fromFile(const std::filesystem::path& tokenizerJson) {
    std::ifstream in(tokenizerJson, std::ios::binary);
    if (!in) return unexpected(Error::notFound(tokenizerJson.string() + ": cannot open"));
    std::ostringstream text;
    text << in.rdbuf();
    return fromJson(text.str(), tokenizerJson.string());
}

Result<Tokenizer> Tokenizer::fromVocabulary(const Vocabulary& vocab) {
    TokenizerSpec spec;
    spec.vocab = vocab;
    if (vocab.preTokenizer == "deepseek-v3" || vocab.preTokenizer.empty())
        spec.splitPatterns = PreTokenizer::deepseekV3Patterns();
    else if (vocab.preTokenizer == "gpt2" || vocab.preTokenizer == "default")
        spec.splitPatterns = PreTokenizer::gpt2Patterns();
    else
        return unexpected(Error::badInput("unsupported pre-tokenizer \"" + vocab.preTokenizer +
                                          "\" (supported: deepseek-v3, gpt2)"));
    auto data = TokenizerData::build(std::move(spec));
    if (!data) return unexpected(data.error());
    return Tokenizer(std::move(*data));
}

namespace {

// Pre-tokenizes and BPE-encodes ordinary text (no added-token matching), appending to `ids`.
void encodeOrdinary(const TokenizerData& d, std::string_view text, std::vector<TokenId>& ids) {
    std::vector<std::string_view> pieces;
    d.pre.split(text, pieces);
    for (std::string_view piece : pieces) d.bpe.encodeWord(piece, ids);
}

}  // namespace

std::vector<TokenId> Tokenizer::encode(std::string_view text, bool special) const {
    std::vector<TokenId> ids;
    ids.reserve(text.size() / 3 + 1);
    std::vector<AddedTokens::Segment> segments;
    m_data->added.split(text, special, segments);
    for (const auto& seg : segments) {
        if (seg.id >= 0)
            ids.push_back(seg.id);
        else
            encodeOrdinary(*m_data, seg.text, ids);
    }
    return ids;
}

std::vector<TokenId> Tokenizer::encodeContent(std::string_view text) const {
    std::vector<TokenId> ids;
    ids.reserve(text.size() / 3 + 1);
    encodeOrdinary(*m_data, text, ids);
    return ids;
}

std::vector<TokenId> Tokenizer::encodeMarked(std::string_view text,
                                             std::span<const ByteSpan> markers) const {
    std::vector<TokenId> ids;
    ids.reserve(text.size() / 3 + 1);
    std::vector<AddedTokens::Segment> segments;
    std::size_t runStart = 0;  // start of the ordinary text not yet encoded
    for (const auto& [begin, end] : markers) {
        if (begin < runStart || end < begin || end > text.size()) continue;  // not in order
        const std::string_view marker = text.substr(begin, end - begin);
        segments.clear();
        m_data->added.split(marker, /*withSpecial=*/true, segments);
        // A marker the vocabulary has no single token for stays ordinary text, as it would in
        // the whole rendered string.
        if (segments.size() != 1 || segments.front().id < 0) continue;
        encodeOrdinary(*m_data, text.substr(runStart, begin - runStart), ids);
        ids.push_back(segments.front().id);
        runStart = end;
    }
    encodeOrdinary(*m_data, text.substr(runStart), ids);
    return ids;
}

Result<std::string> Tokenizer::decode(std::span<const TokenId> ids) const {
    std::string out;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (ids[i] < 0 || std::size_t(ids[i]) >= m_data->decoded.size())
            return unexpected(Error::badInput("token id " + std::to_string(ids[i]) + " at position " +
                                              std::to_string(i) + " is outside the vocabulary of " +
                                              std::to_string(m_data->decoded.size())));
        out += m_data->decoded[std::size_t(ids[i])];
    }
    return out;
}

std::string_view Tokenizer::tokenBytes(TokenId id) const {
    if (id < 0 || std::size_t(id) >= m_data->decoded.size()) return {};
    return m_data->decoded[std::size_t(id)];
}

std::optional<TokenId> Tokenizer::tokenId(std::string_view tokenText) const { return m_data->bpe.find(tokenText); }

bool Tokenizer::isSpecial(TokenId id) const {
    return id >= 0 && std::size_t(id) < m_data->special.size() && m_data->special[std::size_t(id)];
}

std::int64_t Tokenizer::vocabSize() const { return std::int64_t(m_data->vocab.tokens.size()); }
TokenId Tokenizer::bosId() const { return TokenId(m_data->vocab.bosId); }
TokenId Tokenizer::eosId() const { return TokenId(m_data->vocab.eosId); }
const Vocabulary& Tokenizer::vocabulary() const { return m_data->vocab; }

}  // namespace atelier::engine
