// pdfPageCount and renderPdfPage (document_service.h) over poppler-cpp's Splash renderer.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <system_error>

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-image.h>
#include <poppler-page-renderer.h>
#include <poppler-page.h>

#include "atelier/agents/document_service.h"
#include "atelier/base/utf8.h"
#include "shown_path.h"
#include "pdf_document.h"
#include "pdf_passage.h"

namespace atelier::agents {
namespace fs = std::filesystem;
namespace {

// Poppler reports recoverable damage on stderr by default; errors come back as values here.
void quiet(const std::string&, void*) {}

// The document in `file`, checked as the PDF tools check it (size cap, header, structure,
// password, pages), with messages that say it is a PDF that cannot be shown.
Result<std::unique_ptr<poppler::document>> openPdf(const fs::path& file) {
    const std::string name = shownPath(file);
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) return unexpected(Error::notFound(name + ": no such file"));
    const auto size = fs::file_size(file, ec);
    if (ec) return unexpected(Error::io(name + ": cannot read: " + ec.message()));
    if (size > pdf::kMaxPdfBytes)
        return unexpected(Error::badInput(name + ": the PDF is larger than " +
                                          std::to_string(pdf::kMaxPdfBytes >> 20) + " MiB"));
    poppler::byte_array bytes(std::size_t(size), '\0');
    std::ifstream in(file, std::ios::binary);
    if (!in.read(bytes.data(), std::streamsize(size))) return unexpected(Error::io(name + ": cannot read"));
    const std::string_view head(bytes.data(), std::min<std::size_t>(bytes.size(), 1024 + 5));
    if (head.find("%PDF-") == std::string_view::npos)
        return unexpected(Error::badInput(name + ": not a PDF (no %PDF- header)"));
    poppler::set_debug_error_function(&quiet, nullptr);
    // load_from_data swaps the bytes into the document, which keeps them as long as it lives.
    std::unique_ptr<poppler::document> doc(poppler::document::load_from_data(&bytes));
    if (!doc) return unexpected(Error::badInput(name + ": not a readable PDF (damaged or truncated)"));
    if (doc->is_locked()) return unexpected(Error::badInput(name + ": the PDF is password-protected"));
    if (doc->pages() <= 0) return unexpected(Error::badInput(name + ": the PDF has no readable pages"));
    return doc;
}

ArgbImage toArgbImage(const poppler::image& img) {
    ArgbImage out;
    out.width = img.width();
    out.height = img.height();
    out.stride = img.bytes_per_row();
    const auto* data = reinterpret_cast<const std::uint8_t*>(img.const_data());
    out.bytes.assign(data, data + std::size_t(out.stride) * std::size_t(out.height));
    return out;
}

}  // namespace

Result<int> pdfPageCount(const fs::path& file) {
    auto doc = openPdf(file);
    if (!doc) return unexpected(doc.error());
    return (*doc)->pages();
}

Result<PdfPageRender> renderPdfPage(const fs::path& file, int page, double dpi, const std::string& snippet) {
    const std::string name = shownPath(file);
    if (!(dpi > 0) || !std::isfinite(dpi))
        return unexpected(Error::usage(name + ": cannot render at " + std::to_string(dpi) + " dpi"));
    auto doc = openPdf(file);
    if (!doc) return unexpected(doc.error());
    PdfPageRender r;
    r.dpi = dpi;
    r.pageCount = (*doc)->pages();
    r.page = std::clamp(page, 1, r.pageCount);
    const std::string where = name + ": page " + std::to_string(r.page);
    const std::unique_ptr<poppler::page> p((*doc)->create_page(r.page - 1));
    if (!p) return unexpected(Error::badInput(where + " cannot be read"));

    const poppler::rectf box = p->page_rect(poppler::crop_box);
    const bool turned = p->orientation() == poppler::page::landscape || p->orientation() == poppler::page::seascape;
    r.pageWidth = turned ? box.height() : box.width();
    r.pageHeight = turned ? box.width() : box.height();
    const double pixels = std::ceil(r.pageWidth * dpi / 72.0) * std::ceil(r.pageHeight * dpi / 72.0);
    if (!(pixels <= double(kMaxPdfPagePixels)))
        return unexpected(Error{ErrorCode::Overflow, where + " at " + std::to_string(int(dpi)) +
                                                         " dpi would exceed " +
                                                         std::to_string(kMaxPdfPagePixels >> 20) + " Mpixels"});
    if (!poppler::page_renderer::can_render())
        return unexpected(Error::internal("this Poppler was built without a renderer; " + where + " cannot be shown"));

    poppler::page_renderer renderer;
    renderer.set_render_hint(poppler::page_renderer::antialiasing);
    renderer.set_render_hint(poppler::page_renderer::text_antialiasing);
    renderer.set_image_format(poppler::image::format_argb32);
    const poppler::image img = renderer.render_page(p.get(), dpi, dpi);
    if (!img.is_valid() || img.format() != poppler::image::format_argb32 || img.width() <= 0 || img.height() <= 0)
        return unexpected(Error::badInput(where + " could not be rendered"));
    r.image = toArgbImage(img);
    r.highlights = documents::findPassage(*p, snippet);
    return r;
}

}  // namespace atelier::agents
