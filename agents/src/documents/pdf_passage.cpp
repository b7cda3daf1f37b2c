// findPassage (pdf_passage.h).

#include "pdf_passage.h"

#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include <poppler-global.h>
#include <poppler-page.h>

namespace atelier::agents::documents {
namespace {

constexpr int kMaxMatches = 256;  // a snippet found more often on one page is not all marked

// Unicode letter and case tables from glibc's C.UTF-8 locale, whatever the process locale is;
// null where that locale is missing (then only ASCII letters are folded).
locale_t unicodeCtype() {
    static const locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t(nullptr));
    return loc;
}

std::u32string decodeUtf8(const std::string& s) {
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        std::size_t n = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
        char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
        bool ok = n != 0 && i + n <= s.size();
        for (std::size_t k = 1; ok && k < n; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            ok = (c & 0xC0) == 0x80;
            cp = (cp << 6) | (c & 0x3F);
        }
        out.push_back(ok ? cp : U'\uFFFD');
        i += ok ? n : 1;
    }
    return out;
}

bool isWordChar(char32_t c) {
    if (c < 0x80) return std::isalnum(int(c)) != 0 || c == U'_';
    const locale_t loc = unicodeCtype();
    return loc ? iswalnum_l(wint_t(c), loc) != 0 : true;
}

char32_t lower(char32_t c) {
    if (c < 0x80) return char32_t(std::tolower(int(c)));
    const locale_t loc = unicodeCtype();
    return loc ? char32_t(towlower_l(wint_t(c), loc)) : c;
}

// A word as the match compares it: punctuation at both edges removed, lower case.
std::u32string normalWord(const std::string& utf8) {
    const std::u32string w = decodeUtf8(utf8);
    std::size_t begin = 0, end = w.size();
    while (begin < end && !isWordChar(w[begin])) ++begin;
    while (end > begin && !isWordChar(w[end - 1])) --end;
    std::u32string out;
    for (std::size_t i = begin; i < end; ++i) out.push_back(lower(w[i]));
    return out;
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Whitespace runs as one space, none at the ends.
std::string simplified(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (!isSpace(c)) out.push_back(c);
        else if (!out.empty() && out.back() != ' ') out.push_back(' ');
    }
    if (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::vector<std::string> words(const std::string& simple) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i <= simple.size();) {
        const std::size_t space = std::min(simple.find(' ', i), simple.size());
        if (space > i) out.push_back(simple.substr(i, space - i));
        i = space + 1;
    }
    return out;
}

std::string utf8(const poppler::ustring& s) {
    const poppler::byte_array bytes = s.to_utf8();
    return std::string(bytes.data(), bytes.size());
}

PdfRect toRect(const poppler::rectf& r) { return {r.x(), r.y(), r.width(), r.height()}; }

PdfRect united(const PdfRect& a, const PdfRect& b) {
    const double left = std::min(a.x, b.x), top = std::min(a.y, b.y);
    const double right = std::max(a.x + a.width, b.x + b.width);
    const double bottom = std::max(a.y + a.height, b.y + b.height);
    return {left, top, right - left, bottom - top};
}

std::vector<PdfRect> searchMatches(const poppler::page& page, const std::string& text) {
    const poppler::ustring needle = poppler::ustring::from_utf8(text.data(), int(text.size()));
    std::vector<PdfRect> found;
    poppler::rectf r;
    auto direction = poppler::page::search_from_top;
    while (int(found.size()) < kMaxMatches && page.search(needle, r, direction, poppler::case_insensitive)) {
        const PdfRect rect = toRect(r);
        if (!found.empty() && rect.x == found.back().x && rect.y == found.back().y) break;  // no progress
        found.push_back(rect);
        direction = poppler::page::search_next_result;
    }
    return found;
}

std::vector<PdfRect> wordMatch(const poppler::page& page, const std::string& simple) {
    std::vector<std::u32string> want;
    for (const std::string& w : words(simple))
        if (std::u32string n = normalWord(w); !n.empty()) want.push_back(std::move(n));
    if (want.empty()) return {};
    const std::vector<poppler::text_box> boxes = page.text_list();
    std::vector<std::u32string> have;
    have.reserve(boxes.size());
    for (const auto& box : boxes) have.push_back(normalWord(utf8(box.text())));
    for (std::size_t start = 0; start + want.size() <= have.size(); ++start) {
        if (!std::equal(want.begin(), want.end(), have.begin() + std::ptrdiff_t(start))) continue;
        std::vector<PdfRect> rects;
        for (std::size_t k = 0; k < want.size(); ++k) {
            const PdfRect r = toRect(boxes[start + k].bbox());
            // A box on the same line as the last rectangle widens it; a new line starts one.
            const bool sameLine = !rects.empty() &&
                std::abs((rects.back().y + rects.back().height / 2) - (r.y + r.height / 2)) < r.height / 2;
            if (sameLine) rects.back() = united(rects.back(), r);
            else rects.push_back(r);
        }
        return rects;
    }
    return {};
}

}  // namespace

std::vector<PdfRect> findPassage(const poppler::page& page, const std::string& snippet) {
    const std::string text = simplified(snippet);
    if (text.empty()) return {};
    std::vector<PdfRect> found = searchMatches(page, text);
    return found.empty() ? wordMatch(page, text) : found;
}

}  // namespace atelier::agents::documents
