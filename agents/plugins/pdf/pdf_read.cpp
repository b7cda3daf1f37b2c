// pdf_read: the text of a page range, each page under a marker, bounded; `next` reads on.

#include <algorithm>

#include "atelier/base/utf8.h"
#include "pdf_tools.h"

namespace atelier::agents::pdf {
namespace {

class PdfRead final : public Tool {
public:
    std::string name() const override { return "pdf_read"; }
    std::string description() const override {
        return "Read the text of PDF pages (first_page..last_page), each under a '--- page N ---' "
               "marker; long ranges are cut and the result says how to read on.";
    }
    nlohmann::json parameters() const override {
        return {{"type", "object"},
                {"properties",
                 {{"path", {{"type", "string"}, {"description", "PDF file, relative to the workspace or absolute"}}},
                  {"first_page", {{"type", "integer"}, {"minimum", 1}, {"description", "First page (1-based)"}}},
                  {"last_page", {{"type", "integer"}, {"minimum", 1}, {"description", "Last page, inclusive"}}}}},
                {"required", {"path"}},
                {"additionalProperties", false}};
    }
    std::uint32_t capabilities() const override { return std::uint32_t(Capability::ReadFiles); }

    Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const override {
        std::string shown;
        auto doc = openPdf(args, ctx, shown);
        if (!doc) return unexpected(doc.error());
        const int pages = doc->pageCount();
        const int first = args.value("first_page", 1);
        if (first > pages)
            return unexpected(Error::badInput("'" + shown + "' has " + std::to_string(pages) +
                                              " pages; first_page " + std::to_string(first) + " is past the end"));
        int last = args.value("last_page", pages);
        if (last < first) return unexpected(Error::badInput("last_page is before first_page"));
        last = std::min(last, pages);

        ToolResult r;
        const std::size_t budget = kMaxResultBytes - 512;
        int reached = first - 1;
        bool cut = false;
        for (int p = first; p <= last; ++p) {
            // Pages with little text: bounded by page count and the call's deadline too.
            if (p > first && (p - first >= kMaxSearchPages || ctx.expired())) break;
            auto text = doc->pageText(p);
            if (!text) return unexpected(text.error());
            std::string block = "--- page " + std::to_string(p) + " ---\n" + *text;
            if (!block.ends_with('\n')) block += '\n';
            if (r.text.size() + block.size() > budget) {
                if (p != first) break;  // the next call starts with this page
                block = base::truncateUtf8(block, budget) + "\n[page " + std::to_string(p) + " cut at " +
                        std::to_string(budget) + " bytes]\n";
                cut = true;
            }
            r.text += block;
            r.sources.push_back(pdfSource(shown, p));
            reached = p;
            if (cut) break;
        }
        r.data = {{"path", shown}, {"pages", pages}, {"first_page", first}, {"last_page", reached},
                  {"page_cut", cut}};
        if (reached < last) {
            r.truncated = true;
            r.next = args;
            r.next["first_page"] = reached + 1;
            r.text += "[pages " + std::to_string(first) + "-" + std::to_string(reached) + " of " +
                      std::to_string(pages) + "; continue with first_page " + std::to_string(reached + 1) + "]\n";
        } else if (cut) {
            r.truncated = true;
        }
        return r;
    }
};

}  // namespace

std::unique_ptr<Tool> makePdfRead() { return std::make_unique<PdfRead>(); }

}  // namespace atelier::agents::pdf
