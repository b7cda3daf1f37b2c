#pragma once
// PdfDocument: a PDF opened with poppler-cpp, exposing what the PDF tools need (page count,
// metadata, page sizes, page text as UTF-8). Malformed, truncated, encrypted and non-PDF input
// is an error value, never a crash. Kept in its own small static library so that the plugin and
// the libFuzzer target (tests/fuzz/fuzz_pdf.cpp) share it; nothing else links Poppler.
// Threads: one PdfDocument per thread (Poppler documents are not shared across threads).

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "atelier/base/result.h"

namespace poppler {
class document;
}

namespace atelier::agents::pdf {

struct PageSize {
    double width = 0;   // points (1/72 inch), of the crop box
    double height = 0;
};

// The largest PDF the tools open.
inline constexpr std::size_t kMaxPdfBytes = 256u * 1024 * 1024;

class PdfDocument {
public:
    // Reads and parses `file`; `shown` names it in errors.
    static Result<PdfDocument> open(const std::filesystem::path& file, const std::string& shown);
    // Parses `bytes` (copied); `shown` names the input in errors.
    static Result<PdfDocument> fromBytes(std::string_view bytes, const std::string& shown);

    PdfDocument(PdfDocument&&) noexcept;
    PdfDocument& operator=(PdfDocument&&) noexcept;
    ~PdfDocument();

    int pageCount() const;
    std::string title() const;    // "" when absent
    std::string author() const;
    bool encrypted() const;       // encrypted, but opened (an empty user password)
    PageSize pageSize(int page) const;  // 1-based
    // The text of page `page` (1-based) as valid UTF-8, in reading order.
    Result<std::string> pageText(int page) const;

private:
    PdfDocument(std::unique_ptr<poppler::document> doc, std::string shown);
    std::unique_ptr<poppler::document> m_doc;
    std::string m_shown;
};

}  // namespace atelier::agents::pdf
