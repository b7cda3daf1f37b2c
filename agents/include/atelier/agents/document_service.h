#pragma once
// The document service: what the window shows of the documents a user attaches or a citation
// points at, read here so that the window links no PDF or git library.
//   documentText     the text of a text file, a PDF (page by page) or a folder, for the context;
//   pdfPageCount     how many pages a PDF has;
//   renderPdfPage    one PDF page as an ARGB32 image, with a cited passage found on it;
//   commitDetails    one git commit: id, author, date, message, patch against its first parent.
// Library atelier_documents (agents/src/documents/): Qt-free; Poppler (through the PDF tools'
// parsing layer, poppler-cpp) and libgit2 are linked privately.
// Threads: every function does blocking I/O and may be called from any thread except a GUI
// thread; calls share nothing (each opens its own Poppler document or libgit2 repository).
// Text is valid UTF-8 (invalid bytes become U+FFFD). Errors name the file or the repository and
// the revision.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "atelier/base/result.h"

namespace atelier::agents {

// ---- text for the context -------------------------------------------------------------------

struct DocumentText {
    std::string text;        // each file as "<document path=\"...\">\n...\n</document>\n"
    int files = 0;
    bool truncated = false;  // the byte cap was reached
};

inline constexpr std::size_t kMaxDocumentBytes = 8u * 1024 * 1024;

// A text or source file (its first `maxBytes`; a NUL byte in its first 4 KiB makes it binary,
// an error), a PDF (each page under "[page N]"), or a folder (its text files, recursively, in
// name order; hidden entries, `.git`, PDFs and binary files skipped). Stops adding files once
// the text reaches `maxBytes` and says so in `truncated`.
Result<DocumentText> documentText(const std::filesystem::path& path,
                                  std::size_t maxBytes = kMaxDocumentBytes);

// ---- PDF pages ------------------------------------------------------------------------------

// A rectangle on a PDF page in points (1/72 inch) from the page's top-left corner, as shown
// (after the page's /Rotate).
struct PdfRect {
    double x = 0;
    double y = 0;
    double width = 0;
    double height = 0;
};

// Pixels of a rendered page: rows top to bottom, each `stride` bytes; every pixel is one
// native-endian 32-bit word 0xAARRGGBB (QImage::Format_ARGB32's layout), opaque.
struct ArgbImage {
    int width = 0;   // pixels
    int height = 0;  // pixels
    int stride = 0;  // bytes per row, >= 4 * width
    std::vector<std::uint8_t> bytes;  // [height * stride]
};

struct PdfPageRender {
    int page = 0;          // 1-based: the page asked for, clamped to the document
    int pageCount = 0;
    double dpi = 72.0;     // of `image`
    double pageWidth = 0;  // points, as shown
    double pageHeight = 0;
    ArgbImage image;
    // Where the snippet is on the page: Poppler's case-insensitive search for the whole text
    // first, then the text boxes whose words follow one another as the snippet's do (ignoring
    // case, punctuation at word edges and spacing), one rectangle per line. Empty when the
    // snippet is "" or not on this page.
    std::vector<PdfRect> highlights;
};

// The largest page image renderPdfPage produces, in pixels (width * height).
inline constexpr std::int64_t kMaxPdfPagePixels = 64ll * 1024 * 1024;

// The number of pages of the PDF `file`. Errors: missing, not a PDF, damaged, encrypted.
Result<int> pdfPageCount(const std::filesystem::path& file);

// Page `page` (1-based, clamped to the document) of `file` rendered at `dpi` (> 0, and small
// enough that the image stays under kMaxPdfPagePixels), with `snippet` (UTF-8, may be "") found
// on it.
Result<PdfPageRender> renderPdfPage(const std::filesystem::path& file, int page, double dpi,
                                    const std::string& snippet);

// ---- commits --------------------------------------------------------------------------------

struct CommitDetails {
    std::string id;       // 40 hex digits
    std::string author;   // "Name <email>"
    std::string date;     // the author date, ISO 8601 with the author's offset ("+01:00")
    std::string message;  // without leading and trailing whitespace
    std::string patch;    // unified diff against the first parent (the empty tree for a root)
    bool truncated = false;  // the patch was cut at kMaxPatchBytes
};

inline constexpr std::size_t kMaxPatchBytes = 2u * 1024 * 1024;

// `repository` is a work tree or a git folder (parent folders are not searched); `revision` is
// anything git rev-parse accepts that leads to a commit ("" = HEAD).
Result<CommitDetails> commitDetails(const std::filesystem::path& repository,
                                    const std::string& revision);

}  // namespace atelier::agents
