// fuzz-libs: atelier_pdf_document_fuzz
// PdfDocument (agents/plugins/pdf) on arbitrary bytes: opening, metadata, page sizes and the
// text of the first pages must return values or errors, never crash. Poppler itself is not
// instrumented (it is the Debian build), so coverage guidance reaches only our wrapper; crashes
// and ASan reports in our code and hard faults in Poppler are still found.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pdf_document.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using atelier::agents::pdf::PdfDocument;
    auto doc = PdfDocument::fromBytes(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    if (!doc) return 0;
    (void)doc->title();
    (void)doc->author();
    (void)doc->encrypted();
    const int pages = doc->pageCount();
    for (int p = 1; p <= pages && p <= 4; ++p) {
        (void)doc->pageSize(p);
        (void)doc->pageText(p);
    }
    return 0;
}
