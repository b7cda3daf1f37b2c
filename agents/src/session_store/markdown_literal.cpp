#include "atelier/agents/markdown_literal.h"

#include <vector>

namespace atelier::agents {
namespace {

// Characters that are Markdown wherever they stand: escapes, emphasis and strikethrough, code
// spans, links and images, raw HTML and autolinks, entities, table cells, heading closers.
bool alwaysEscaped(char c) {
    switch (c) {
    case '\\': case '`': case '*': case '_': case '~': case '[': case ']':
    case '<': case '>': case '&': case '|': case '#':
        return true;
    default:
        return false;
    }
}

// `text` escaped; `lineStart` when it begins a line, where `+`, `-`, `=` (list items, thematic
// breaks, setext underlines) and the `.` or `)` after leading digits (ordered lists) are
// Markdown as well. Every escaped character is ASCII punctuation, which CommonMark lets a
// backslash escape.
void appendEscaped(std::string& out, std::string_view text, bool lineStart) {
    std::size_t digits = 0;
    if (lineStart)
        while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool listMarker = lineStart && ((i == 0 && (c == '+' || c == '-' || c == '=')) ||
                                              (i == digits && digits > 0 && (c == '.' || c == ')')));
        if (alwaysEscaped(c) || listMarker) out += '\\';
        out += c;
    }
}

bool isAsciiPunctuation(char c) {
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
}

bool isBlank(char c) { return c == ' ' || c == '\t'; }

// A space as &nbsp;: a renderer keeps it where it would drop or collapse a plain one (a line's
// start or end, HTML output); a tab as four of them.
void appendReference(std::string& out, char c) {
    out += c == '\t' ? "&nbsp;&nbsp;&nbsp;&nbsp;" : "&nbsp;";
}

std::vector<std::string_view> splitLines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\n' && text[i] != '\r') continue;
        lines.push_back(text.substr(start, i - start));
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
        start = i + 1;
    }
    lines.push_back(text.substr(start));
    while (lines.size() > 1 && lines.back().empty()) lines.pop_back();
    return lines;
}

}  // namespace

std::string markdownLiteral(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 4);
    const auto lines = splitLines(text);
    for (std::size_t l = 0; l < lines.size(); ++l) {
        // A backslash before the line end is a hard line break; the next line is never blank.
        if (l) out += "\\\n";
        const std::string_view line = lines[l];
        std::size_t begin = 0, end = line.size();
        while (begin < end && isBlank(line[begin])) ++begin;
        while (end > begin && isBlank(line[end - 1])) --end;
        for (std::size_t i = 0; i < begin; ++i) appendReference(out, line[i]);
        appendEscaped(out, line.substr(begin, end - begin), true);
        for (std::size_t i = end; i < line.size(); ++i) appendReference(out, line[i]);
    }
    return out;
}

std::string markdownLiteralInline(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 4);
    for (char c : text) {
        if (c == '\n' || c == '\r') {
            out += ' ';
            continue;
        }
        if (isAsciiPunctuation(c)) out += '\\';
        out += c;
    }
    return out;
}

}  // namespace atelier::agents
