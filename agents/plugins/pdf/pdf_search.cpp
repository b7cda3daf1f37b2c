// pdf_search: lines of a PDF's text matching a regex, with page numbers and an excerpt; paged
// with `offset` (hits to skip).

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "pdf_tools.h"

namespace atelier::agents::pdf {
namespace {

struct CodeDeleter {
    void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
struct MatchDeleter {
    void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};

// Up to kExcerptBytes of `line` around byte `at`, on UTF-8 boundaries, trimmed.
std::string excerpt(std::string_view line, std::size_t at) {
    std::size_t begin = at > kExcerptBytes / 3 ? at - kExcerptBytes / 3 : 0;
    while (begin > 0 && (static_cast<unsigned char>(line[begin]) & 0xC0) == 0x80) --begin;
    std::size_t end = std::min(line.size(), begin + kExcerptBytes);
    while (end < line.size() && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) --end;
    std::string_view s = line.substr(begin, end - begin);
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return (begin > 0 ? "…" : "") + std::string(s) + (end < line.size() ? "…" : "");
}

class PdfSearch final : public Tool {
public:
    std::string name() const override { return "pdf_search"; }
    std::string description() const override {
        return "Search a PDF's text for a regular expression (PCRE2); hits with page number and an "
               "excerpt, at most 50 per call.";
    }
    nlohmann::json parameters() const override {
        return {{"type", "object"},
                {"properties",
                 {{"pattern", {{"type", "string"}, {"minLength", 1}, {"description", "Regular expression"}}},
                  {"path", {{"type", "string"}, {"description", "PDF file, relative to the workspace or absolute"}}},
                  {"ignore_case", {{"type", "boolean"}}},
                  {"offset", {{"type", "integer"}, {"minimum", 0}, {"description", "Hits to skip (paging)"}}}}},
                {"required", {"pattern", "path"}},
                {"additionalProperties", false}};
    }
    std::uint32_t capabilities() const override { return std::uint32_t(Capability::ReadFiles); }

    Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const override {
        const std::string pattern = args.at("pattern").get<std::string>();
        int errorCode = 0;
        PCRE2_SIZE errorOffset = 0;
        std::uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
        if (args.value("ignore_case", false)) options |= PCRE2_CASELESS;
        std::unique_ptr<pcre2_code, CodeDeleter> re(pcre2_compile(
            reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &errorCode, &errorOffset, nullptr));
        if (!re) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(errorCode, msg, sizeof msg);
            return unexpected(Error::badInput("invalid pattern at offset " + std::to_string(errorOffset) +
                                              ": " + reinterpret_cast<const char*>(msg)));
        }
        std::unique_ptr<pcre2_match_data, MatchDeleter> md(pcre2_match_data_create_from_pattern(re.get(), nullptr));
        std::string shown;
        auto doc = openPdf(args, ctx, shown);
        if (!doc) return unexpected(doc.error());

        const int offset = args.value("offset", 0);
        ToolResult r;
        nlohmann::json hits = nlohmann::json::array();
        int matched = 0;
        bool more = false;
        for (int p = 1; p <= doc->pageCount() && !more; ++p) {
            auto text = doc->pageText(p);
            if (!text) return unexpected(text.error());
            std::string_view rest(*text);
            while (!rest.empty() && !more) {
                const std::size_t nl = rest.find('\n');
                const std::string_view line = rest.substr(0, nl);
                rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
                if (pcre2_match(re.get(), reinterpret_cast<PCRE2_SPTR>(line.data()), line.size(), 0, 0,
                                md.get(), nullptr) < 0)
                    continue;
                if (matched++ < offset) continue;
                if (int(hits.size()) == kMaxSearchHits) {
                    more = true;
                    break;
                }
                const std::string ex = excerpt(line, std::size_t(pcre2_get_ovector_pointer(md.get())[0]));
                r.text += "page " + std::to_string(p) + ": " + ex + "\n";
                hits.push_back({{"page", p}, {"excerpt", ex}});
                if (r.sources.empty() || r.sources.back().page != p) r.sources.push_back(pdfSource(shown, p));
            }
        }
        if (hits.empty()) r.text = "(no matches)\n";
        r.data = {{"path", shown}, {"pages", doc->pageCount()}, {"hits", hits}};
        if (more) {
            r.truncated = true;
            r.next = args;
            r.next["offset"] = offset + int(hits.size());
            r.text += "[more hits: continue with offset " + std::to_string(offset + int(hits.size())) + "]\n";
        }
        return r;
    }
};

}  // namespace

std::unique_ptr<Tool> makePdfSearch() { return std::make_unique<PdfSearch>(); }

}  // namespace atelier::agents::pdf
