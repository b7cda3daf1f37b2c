#include "tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "atelier/base/log.h"

namespace atelier::engine {

struct PreTokenizer::Stage {
    pcre2_code* code = nullptr;
    bool jit = false;
    ~Stage() { pcre2_code_free(code); }
};

namespace {

struct MatchData {
    pcre2_match_data* data = nullptr;
    ~MatchData() { pcre2_match_data_free(data); }
};

std::size_t utf8Length(unsigned char lead) {
    if (lead < 0xC0) return 1;
    if (lead < 0xE0) return 2;
    if (lead < 0xF0) return 3;
    return 4;
}

}  // namespace

const std::vector<std::string>& PreTokenizer::deepseekV3Patterns() {
    static const std::vector<std::string> p = {
        R"(\p{N}{1,3})",
        "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
        // Spelled as in DeepSeek's tokenizer.json (CR and LF as raw characters), so that a file
        // carrying these exact patterns is recognised as "deepseek-v3".
        "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
        "| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
    };
    return p;
}

const std::vector<std::string>& PreTokenizer::gpt2Patterns() {
    static const std::vector<std::string> p = {
        R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)",
    };
    return p;
}

Result<PreTokenizer> PreTokenizer::create(const std::vector<std::string>& patterns,
                                          const std::vector<bool>& literal) {
    PreTokenizer p;
    p.m_patterns = patterns;
    for (std::size_t i = 0; i < patterns.size(); ++i) {
        auto stage = std::make_shared<Stage>();
        std::uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
        if (i < literal.size() && literal[i]) options |= PCRE2_LITERAL;
        int errorCode = 0;
        PCRE2_SIZE errorOffset = 0;
        stage->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(patterns[i].data()),
                                    patterns[i].size(), options, &errorCode, &errorOffset, nullptr);
        if (!stage->code) {
            PCRE2_UCHAR message[256];
            pcre2_get_error_message(errorCode, message, sizeof message);
            return unexpected(Error::badInput("pre-tokenizer regex " + std::to_string(i) + " at offset " +
                                              std::to_string(errorOffset) + ": " +
                                              reinterpret_cast<const char*>(message)));
        }
        stage->jit = pcre2_jit_compile(stage->code, PCRE2_JIT_COMPLETE) == 0;
        p.m_stages.push_back(std::move(stage));
    }
    return p;
}

namespace {

// Splits `piece` with stage `s` (matches and the gaps between them), recursing into the later
// stages; appends the final pieces to `out`.
void splitStage(const std::vector<std::shared_ptr<const PreTokenizer::Stage>>& stages,
                std::vector<MatchData>& md, std::size_t s, std::string_view piece,
                std::vector<std::string_view>& out) {
    if (s == stages.size()) {
        out.push_back(piece);
        return;
    }
    const auto& stage = *stages[s];
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(piece.data());
    std::size_t gapStart = 0;
    std::size_t pos = 0;
    while (pos < piece.size()) {
        const int rc = stage.jit ? pcre2_jit_match(stage.code, subject, piece.size(), pos, 0, md[s].data, nullptr)
                                 : pcre2_match(stage.code, subject, piece.size(), pos, 0, md[s].data, nullptr);
        if (rc < 0) {
            // A resource limit (not "no match") leaves the rest as one piece: still lossless.
            if (rc != PCRE2_ERROR_NOMATCH)
                atelier::logger("engine")->warn("pre-tokenizer regex {} stopped with PCRE2 error {} in a {}-byte piece",
                                                s, rc, piece.size());
            break;
        }
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md[s].data);
        const std::size_t start = ov[0], end = ov[1];
        if (end <= start) {  // an empty match cuts nothing; step over one character
            pos = start + utf8Length(static_cast<unsigned char>(piece[start < piece.size() ? start : 0]));
            continue;
        }
        if (start > gapStart) splitStage(stages, md, s + 1, piece.substr(gapStart, start - gapStart), out);
        splitStage(stages, md, s + 1, piece.substr(start, end - start), out);
        gapStart = pos = end;
    }
    if (gapStart < piece.size()) splitStage(stages, md, s + 1, piece.substr(gapStart), out);
}

}  // namespace

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& out) const {
    if (text.empty()) return;
    std::vector<MatchData> md(m_stages.size());
    for (std::size_t i = 0; i < m_stages.size(); ++i)
        md[i].data = pcre2_match_data_create_from_pattern(m_stages[i]->code, nullptr);
    splitStage(m_stages, md, 0, text, out);
}

}  // namespace atelier::engine
