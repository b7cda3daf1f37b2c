// PdfDocument over poppler-cpp (see pdf_document.h).

#include "pdf_document.h"

#include <fstream>
#include <vector>

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include "atelier/base/utf8.h"

namespace atelier::agents::pdf {
namespace {

// Poppler reports recoverable damage on stderr by default; the tools report errors themselves.
void quiet(const std::string&, void*) {}

std::string toUtf8(const poppler::ustring& s) {
    const poppler::byte_array bytes = s.to_utf8();
    return base::validUtf8(std::string_view(bytes.data(), bytes.size()));
}

}  // namespace

PdfDocument::PdfDocument(std::unique_ptr<poppler::document> doc, std::string shown)
    : m_doc(std::move(doc)), m_shown(std::move(shown)) {}
PdfDocument::PdfDocument(PdfDocument&&) noexcept = default;
PdfDocument& PdfDocument::operator=(PdfDocument&&) noexcept = default;
PdfDocument::~PdfDocument() = default;

Result<PdfDocument> PdfDocument::open(const std::filesystem::path& file, const std::string& shown) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec) return unexpected(Error::notFound("'" + shown + "' cannot be read: " + ec.message()));
    if (size > kMaxPdfBytes)
        return unexpected(Error::badInput("'" + shown + "' is larger than " +
                                          std::to_string(kMaxPdfBytes >> 20) + " MiB"));
    std::ifstream in(file, std::ios::binary);
    std::string bytes(std::size_t(size), '\0');
    if (!in.read(bytes.data(), std::streamsize(size)))
        return unexpected(Error::io("'" + shown + "' cannot be read"));
    return fromBytes(bytes, shown);
}

Result<PdfDocument> PdfDocument::fromBytes(std::string_view bytes, const std::string& shown) {
    poppler::set_debug_error_function(&quiet, nullptr);
    if (bytes.find("%PDF-") == std::string_view::npos || bytes.find("%PDF-") > 1024)
        return unexpected(Error::badInput("'" + shown + "' is not a PDF (no %PDF- header)"));
    // load_from_data takes the bytes over (swaps the vector), so they live as long as the document.
    poppler::byte_array data(bytes.begin(), bytes.end());
    std::unique_ptr<poppler::document> doc(poppler::document::load_from_data(&data));
    if (!doc)
        return unexpected(Error::badInput("'" + shown + "' is damaged or truncated: Poppler cannot "
                                          "read its structure"));
    if (doc->is_locked())
        return unexpected(Error::badInput("'" + shown + "' is encrypted and needs a password"));
    if (doc->pages() <= 0)
        return unexpected(Error::badInput("'" + shown + "' has no readable pages (damaged or truncated)"));
    return PdfDocument(std::move(doc), shown);
}

int PdfDocument::pageCount() const { return m_doc->pages(); }
std::string PdfDocument::title() const { return toUtf8(m_doc->get_title()); }
std::string PdfDocument::author() const { return toUtf8(m_doc->get_author()); }
bool PdfDocument::encrypted() const { return m_doc->is_encrypted(); }

PageSize PdfDocument::pageSize(int page) const {
    std::unique_ptr<poppler::page> p(m_doc->create_page(page - 1));
    if (!p) return {};
    const poppler::rectf r = p->page_rect(poppler::crop_box);
    return {r.width(), r.height()};
}

Result<std::string> PdfDocument::pageText(int page) const {
    if (page < 1 || page > pageCount())
        return unexpected(Error::badInput("'" + m_shown + "' has no page " + std::to_string(page) +
                                          " (it has " + std::to_string(pageCount()) + ")"));
    std::unique_ptr<poppler::page> p(m_doc->create_page(page - 1));
    if (!p) return unexpected(Error::badInput("page " + std::to_string(page) + " of '" + m_shown +
                                              "' is damaged"));
    return toUtf8(p->text(poppler::rectf(), poppler::page::physical_layout));
}

}  // namespace atelier::agents::pdf
