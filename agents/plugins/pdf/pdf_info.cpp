// pdf_info: pages, title, author, whether it is encrypted, page sizes. Also openPdf(), shared by
// the PDF tools.

#include "pdf_tools.h"

namespace atelier::agents::pdf {

Result<PdfDocument> openPdf(const nlohmann::json& args, const ToolContext& ctx, std::string& shown) {
    const std::string requested = args.at("path").get<std::string>();
    auto path = ctx.resolve(requested, Access::Read);
    if (!path) return unexpected(path.error());
    std::error_code ec;
    if (!std::filesystem::is_regular_file(*path, ec))
        return unexpected(Error::notFound("'" + requested + "' does not exist or is not a file"));
    const auto rel = path->lexically_relative(ctx.workspace());
    shown = (!rel.empty() && *rel.begin() != "..") ? rel.string() : path->string();
    return PdfDocument::open(*path, shown);
}

SourceRef pdfSource(const std::string& shown, int page) {
    SourceRef s;
    s.kind = "pdf";
    s.path = shown;
    s.page = page;
    return s;
}

namespace {

class PdfInfo final : public Tool {
public:
    std::string name() const override { return "pdf_info"; }
    std::string description() const override {
        return "Describe a PDF: number of pages, title, author, whether it is encrypted, page sizes.";
    }
    nlohmann::json parameters() const override {
        return {{"type", "object"},
                {"properties", {{"path", {{"type", "string"}, {"description", "PDF file, relative to the workspace or absolute"}}}}},
                {"required", {"path"}},
                {"additionalProperties", false}};
    }
    std::uint32_t capabilities() const override { return std::uint32_t(Capability::ReadFiles); }

    Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const override {
        std::string shown;
        auto doc = openPdf(args, ctx, shown);
        if (!doc) return unexpected(doc.error());
        const int pages = doc->pageCount();
        nlohmann::json sizes = nlohmann::json::array();
        for (int p = 1; p <= std::min(pages, kMaxInfoPageSizes); ++p) {
            const PageSize s = doc->pageSize(p);
            sizes.push_back({{"page", p}, {"width", s.width}, {"height", s.height}});
        }
        ToolResult r;
        r.data = {{"path", shown},          {"pages", pages},         {"title", doc->title()},
                  {"author", doc->author()}, {"encrypted", doc->encrypted()}, {"page_sizes", sizes}};
        r.text = shown + ": " + std::to_string(pages) + " page" + (pages == 1 ? "" : "s") +
                 "\ntitle: " + doc->title() + "\nauthor: " + doc->author() +
                 "\nencrypted: " + (doc->encrypted() ? "yes" : "no") + "\n";
        if (!sizes.empty())
            r.text += "page 1 size: " + std::to_string(int(sizes[0]["width"].get<double>() + 0.5)) + " x " +
                      std::to_string(int(sizes[0]["height"].get<double>() + 0.5)) + " pt\n";
        r.sources.push_back(pdfSource(shown, 1));
        return r;
    }
};

}  // namespace

std::unique_ptr<Tool> makePdfInfo() { return std::make_unique<PdfInfo>(); }

}  // namespace atelier::agents::pdf
