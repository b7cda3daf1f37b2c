// pdf_search: lines of a PDF's text matching a regex, with page numbers and an excerpt; paged
// with `offset` (hits to skip).

#include "atelier/agents/bounded_regex.h"
#include "atelier/base/utf8.h"
#include "pdf_tools.h"

namespace atelier::agents::pdf {
namespace {

// Up to kExcerptBytes of `line` around byte `at`, on UTF-8 boundaries, trimmed.
std::string excerpt(std::string_view line, std::size_t at) {
    const std::size_t from = at > kExcerptBytes / 3 ? at - kExcerptBytes / 3 : 0;
    const std::size_t begin = base::truncateUtf8(line, from).size();  // the start of a character
    const std::string cut = base::truncateUtf8(line.substr(begin), kExcerptBytes);
    const std::size_t end = begin + cut.size();
    std::string_view s = cut;
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return (begin > 0 ? "…" : "") + std::string(s) + (end < line.size() ? "…" : "");
}

class PdfSearch final : public Tool {
public:
    std::string name() const override { return "pdf_search"; }
    std::string description() const override {
        return "Search a PDF's text for a regular expression (PCRE2); hits with page number and an "
               "excerpt, at most 50 hits and 500 pages per call (the result says how to continue).";
    }
    nlohmann::json parameters() const override {
        return {{"type", "object"},
                {"properties",
                 {{"pattern", {{"type", "string"}, {"minLength", 1}, {"description", "Regular expression"}}},
                  {"path", {{"type", "string"}, {"description", "PDF file, relative to the workspace or absolute"}}},
                  {"ignore_case", {{"type", "boolean"}}},
                  {"first_page", {{"type", "integer"}, {"minimum", 1}, {"description", "Page to start at (default 1)"}}},
                  {"offset", {{"type", "integer"}, {"minimum", 0},
                              {"description", "Hits to skip from first_page (paging)"}}}}},
                {"required", {"pattern", "path"}},
                {"additionalProperties", false}};
    }
    std::uint32_t capabilities() const override { return std::uint32_t(Capability::ReadFiles); }

    Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const override {
        const std::string pattern = args.at("pattern").get<std::string>();
        auto re = BoundedRegex::compile(pattern, args.value("ignore_case", false) ? PCRE2_UCP | PCRE2_CASELESS
                                                                                 : PCRE2_UCP);
        if (!re) return unexpected(re.error());
        std::string shown;
        auto doc = openPdf(args, ctx, shown);
        if (!doc) return unexpected(doc.error());

        const int pages = doc->pageCount();
        const int first = args.value("first_page", 1);
        if (pages > 0 && first > pages)
            return unexpected(Error::badInput("'" + shown + "' has " + std::to_string(pages) +
                                              " pages; first_page " + std::to_string(first) + " is past the end"));
        const int offset = args.value("offset", 0);
        ToolResult r;
        nlohmann::json hits = nlohmann::json::array();
        int matched = 0;
        bool more = false;
        int stoppedAt = 0;  // the first page not searched when the page cap or the deadline stopped the scan
        for (int p = first; p <= pages && !more; ++p) {
            if (p > first && (p - first >= kMaxSearchPages || ctx.expired())) {
                stoppedAt = p;
                break;
            }
            auto text = doc->pageText(p);
            if (!text) return unexpected(text.error());
            std::string_view rest(*text);
            while (!rest.empty() && !more) {
                const std::size_t nl = rest.find('\n');
                const std::string_view line = rest.substr(0, nl);
                rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
                std::size_t at = 0;
                auto found = re->search(line, &at);
                if (!found)
                    return unexpected(found.error().code,
                                      "pdf_search: " + found.error().message + " (on page " + std::to_string(p) + ")");
                if (!*found) continue;
                if (matched++ < offset) continue;
                if (int(hits.size()) == kMaxSearchHits) {
                    more = true;
                    break;
                }
                const std::string ex = excerpt(line, at);
                r.text += "page " + std::to_string(p) + ": " + ex + "\n";
                hits.push_back({{"page", p}, {"excerpt", ex}});
                if (r.sources.empty() || r.sources.back().page != p) r.sources.push_back(pdfSource(shown, p));
            }
        }
        if (hits.empty() && !stoppedAt) r.text = "(no matches)\n";
        r.data = {{"path", shown}, {"pages", pages}, {"hits", hits}};
        if (stoppedAt) {
            // Every page before stoppedAt was searched in full: the next call starts there.
            const int searched = stoppedAt - first;
            r.truncated = true;
            r.next = args;
            r.next["first_page"] = stoppedAt;
            r.next["offset"] = 0;
            r.data["stopped_at_page"] = stoppedAt;
            r.text += "[stopped after " + std::to_string(searched) + " pages (pages " + std::to_string(first) + "-" +
                      std::to_string(stoppedAt - 1) + " of " + std::to_string(pages) + ", " +
                      (ctx.expired() ? std::string("the call's deadline") : "the per-call page limit") +
                      "); continue with first_page " + std::to_string(stoppedAt) + "]\n";
            return r;
        }
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
