// documentText (document_service.h): a file's, PDF's or folder's text for the context.

#include <algorithm>
#include <cctype>
#include <fstream>
#include <system_error>

#include "atelier/agents/document_service.h"
#include "atelier/base/utf8.h"
#include "shown_path.h"
#include "pdf_document.h"

namespace atelier::agents {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kTextSniffBytes = 4096;  // a NUL in these makes a file binary
constexpr int kMaxFolderDepth = 64;            // deeper folders are not read

bool isPdf(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext == ".pdf";
}

struct FileText {
    std::string text;
    bool cut = false;  // the file holds more than `budget` allowed
};

Result<FileText> pdfText(const fs::path& file, std::size_t budget) {
    auto doc = pdf::PdfDocument::open(file, shownPath(file));
    if (!doc) return unexpected(doc.error());
    FileText out;
    for (int p = 1; p <= doc->pageCount(); ++p) {
        if (out.text.size() >= budget) {
            out.cut = true;
            break;
        }
        auto page = doc->pageText(p);
        if (!page) return unexpected(page.error());
        out.text += "[page " + std::to_string(p) + "]\n" + *page + "\n";
    }
    return out;
}

Result<FileText> fileText(const fs::path& file, std::size_t budget) {
    if (isPdf(file)) return pdfText(file, budget);
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
        return unexpected(Error::badInput(shownPath(file) + ": not a regular file"));
    std::ifstream in(file, std::ios::binary);
    if (!in) return unexpected(Error::io(shownPath(file) + ": cannot read"));
    // In chunks, so that a small file costs no buffer of the whole budget and a binary one is
    // refused after its first chunk.
    std::string bytes;
    char chunk[64 * 1024];
    while (bytes.size() < budget && in) {
        in.read(chunk, std::streamsize(std::min(sizeof chunk, budget - bytes.size())));
        const bool first = bytes.empty();
        bytes.append(chunk, std::size_t(in.gcount()));
        if (first && bytes.substr(0, kTextSniffBytes).find('\0') != std::string::npos)
            return unexpected(Error::badInput(shownPath(file) + ": not a text file"));
    }
    if (in.bad()) return unexpected(Error::io(shownPath(file) + ": cannot read"));
    FileText out;
    out.cut = in.peek() != std::char_traits<char>::eof();
    // A cut leaves out the character it splits; invalid bytes in the file are marked.
    out.text = base::validUtf8(out.cut ? base::truncateUtf8(bytes, bytes.size()) : bytes);
    return out;
}

void append(DocumentText& out, const fs::path& file, const FileText& text) {
    out.text += "<document path=\"" + shownPath(file) + "\">\n" + text.text + "\n</document>\n";
    ++out.files;
    out.truncated = out.truncated || text.cut;
}

struct FolderWalk {
    std::size_t maxBytes;
    DocumentText out;
    bool full = false;  // the cap is reached; the next file found is left out

    void add(const fs::path& file) {
        if (full) {
            out.truncated = true;
            return;
        }
        auto text = fileText(file, maxBytes - out.text.size());
        if (!text) return;  // binary and unreadable files are skipped quietly
        append(out, file, *text);
        full = out.text.size() >= maxBytes;
    }

    // The folder's entries in name order, hidden ones and PDFs left out; folders reached
    // through a symbolic link are not entered (no loops).
    void walk(const fs::path& dir, int depth) {
        std::error_code ec;
        std::vector<fs::directory_entry> entries;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (!name.empty() && name[0] != '.') entries.push_back(*it);
        }
        std::sort(entries.begin(), entries.end(),
                  [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
        for (const auto& e : entries) {
            if (out.truncated) return;
            std::error_code typeError;
            if (e.is_directory(typeError) && !e.is_symlink(typeError)) {
                if (depth < kMaxFolderDepth) walk(e.path(), depth + 1);
            } else if (e.is_regular_file(typeError) && !isPdf(e.path())) {
                add(e.path());
            }
        }
    }
};

}  // namespace

Result<DocumentText> documentText(const fs::path& path, std::size_t maxBytes) {
    if (maxBytes == 0) return unexpected(Error::usage(shownPath(path) + ": a byte cap of 0 reads nothing"));
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status))
        return unexpected(Error::notFound(shownPath(path) + ": no such file or folder"));
    if (!fs::is_directory(status)) {
        auto text = fileText(path, maxBytes);
        if (!text) return unexpected(text.error());
        DocumentText out;
        append(out, path, *text);
        return out;
    }
    FolderWalk walk{maxBytes, {}};
    walk.walk(path, 0);
    if (walk.out.files == 0)
        return unexpected(Error::badInput(shownPath(path) + ": no text files in this folder"));
    return std::move(walk.out);
}

}  // namespace atelier::agents
