#include "atelier/ui/chat_markdown.h"

#include "atelier/agents/markdown_literal.h"

#include <QRegularExpression>

#include <algorithm>

namespace atelier::ui {
namespace {

qsizetype longestRun(const QString& s, QChar c) {
    qsizetype longest = 0, run = 0;
    for (QChar x : s) {
        run = x == c ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    return longest;
}

qsizetype runAt(const QString& s, qsizetype i) {
    qsizetype j = i;
    while (j < s.size() && s[j] == s[i]) ++j;
    return j - i;
}

// An entity or numeric character reference starts at s[i] (an '&'): Markdown would decode it.
bool entityAt(const QString& s, qsizetype i) {
    static const QRegularExpression entity(
        QStringLiteral("&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,47});"));
    return entity.match(s, i, QRegularExpression::NormalMatch, QRegularExpression::AnchorAtOffsetMatchOption)
        .hasMatch();
}

// One paragraph-level group of lines: code spans verbatim, and outside them the characters
// Markdown would swallow or change escaped. `hardBreaks`: each line break outside a code span
// ends its line with two spaces, Markdown's hard break (ignored at the end of a block).
QString escapeInline(const QString& s, bool hardBreaks) {
    QString out;
    out.reserve(s.size() + s.size() / 8);
    qsizetype i = 0;
    while (i < s.size()) {
        const QChar c = s[i];
        if (c == QLatin1Char('`')) {
            const qsizetype run = runAt(s, i);
            qsizetype j = i + run, close = -1;
            while (j < s.size()) {
                if (s[j] != QLatin1Char('`')) { ++j; continue; }
                const qsizetype k = runAt(s, j);
                if (k == run) { close = j; break; }
                j += k;
            }
            const qsizetype end = close >= 0 ? close + run : i + run;  // unclosed: literal backticks
            out += s.mid(i, end - i);
            i = end;
            continue;
        }
        if (c == QLatin1Char('\n') && hardBreaks) out += QStringLiteral("  \n");
        else if (c == QLatin1Char('\\')) out += QStringLiteral("\\\\");
        else if (c == QLatin1Char('<')) out += QStringLiteral("\\<");
        else if (c == QLatin1Char('&') && entityAt(s, i)) out += QStringLiteral("\\&");
        else out += c;
        ++i;
    }
    return out;
}

qsizetype leadingWhitespace(const QString& line) {
    qsizetype n = 0;
    while (n < line.size() && (line[n] == QLatin1Char(' ') || line[n] == QLatin1Char('\t'))) ++n;
    return n;
}

// A code line inside a fence opened after `prefix` (indentation, blockquote markers), without it.
QString withoutPrefix(const QString& line, const QString& prefix) {
    qsizetype n = 0;
    while (n < line.size() && n < prefix.size() &&
           (line[n] == QLatin1Char(' ') || line[n] == QLatin1Char('\t') || line[n] == QLatin1Char('>')))
        ++n;
    return line.mid(n);
}

bool indentedCode(const QString& line) {
    return line.startsWith(QLatin1Char('\t')) || line.startsWith(QLatin1String("    "));
}

bool listItem(const QString& line) {
    static const QRegularExpression item(QStringLiteral("^[ \\t]*([-*+]|[0-9]{1,9}[.)])([ \\t]|$)"));
    return item.match(line).hasMatch();
}

// Where a fenced code block opens: its prefix (indentation, blockquote markers) and fence.
struct FenceOpen {
    QString prefix;
    QChar fenceChar;
    qsizetype length = 0;
};

bool opensFence(const QString& line, FenceOpen& f) {
    static const QRegularExpression open(QStringLiteral("^([ \\t>]*)(`{3,}|~{3,})(.*)$"));
    const auto m = open.match(line);
    if (!m.hasMatch()) return false;
    const QString fence = m.captured(2);
    if (fence[0] == QLatin1Char('`') && m.captured(3).contains(QLatin1Char('`'))) return false;
    f = {m.captured(1), fence[0], fence.size()};
    return true;
}

bool closesFence(const QString& line, const FenceOpen& f) {
    qsizetype i = 0;
    while (i < line.size() && (line[i] == QLatin1Char(' ') || line[i] == QLatin1Char('\t') || line[i] == QLatin1Char('>'))) ++i;
    if (i >= line.size() || line[i] != f.fenceChar) return false;
    const qsizetype run = runAt(line, i);
    return run >= f.length && line.mid(i + run).trimmed().isEmpty();
}

}  // namespace

QString chatTextMarkdown(const QString& text, QStringList& codeBlocks, ChatLineBreaks breaks) {
    enum class Block { Text, Fence, Indented };
    Block block = Block::Text;
    QString out;
    QStringList paragraph, code;
    FenceOpen fence;
    qsizetype codeIndex = -1;
    bool previousBlank = true, inList = false;
    auto flush = [&] {
        if (paragraph.isEmpty()) return;
        out += escapeInline(paragraph.join(QLatin1Char('\n')), breaks == ChatLineBreaks::Hard) + QLatin1Char('\n');
        paragraph.clear();
    };
    for (const QString& line : text.split(QLatin1Char('\n'))) {
        const bool blank = line.trimmed().isEmpty();
        if (block == Block::Fence) {
            out += line + QLatin1Char('\n');
            if (closesFence(line, fence)) {
                codeBlocks[codeIndex] = code.join(QLatin1Char('\n'));
                block = Block::Text;
                previousBlank = false;
            } else {
                code << withoutPrefix(line, fence.prefix);
            }
            continue;
        }
        if (block == Block::Indented) {
            if (blank || indentedCode(line)) {
                out += line + QLatin1Char('\n');
                previousBlank = blank;
                continue;
            }
            block = Block::Text;
        }
        if (opensFence(line, fence)) {
            flush();
            out += QLatin1Char('\n') + fence.prefix + QStringLiteral("[⧉ Copy](copy:%1)\n").arg(codeBlocks.size());
            out += line + QLatin1Char('\n');
            codeIndex = codeBlocks.size();
            codeBlocks << QString();
            code.clear();
            block = Block::Fence;
            if (leadingWhitespace(line) == 0) inList = false;  // a fence at the margin ends a list
            continue;
        }
        if (blank) {
            flush();
            out += QLatin1Char('\n');
            previousBlank = true;
            continue;
        }
        if (previousBlank && !inList && indentedCode(line)) {
            out += line + QLatin1Char('\n');
            block = Block::Indented;
            previousBlank = false;
            continue;
        }
        if (listItem(line)) inList = true;
        else if (previousBlank && leadingWhitespace(line) == 0) inList = false;
        paragraph << line;
        previousBlank = false;
    }
    flush();
    if (block == Block::Fence) {  // still streaming, or cut short: close it here
        codeBlocks[codeIndex] = code.join(QLatin1Char('\n'));
        out += fence.prefix + QString(fence.length, fence.fenceChar) + QLatin1Char('\n');
    }
    return out;
}

// The same escaping as the session export's (agents/markdown_literal.h), so a label reads the
// same in the window and in an exported transcript.
QString literalMarkdown(const QString& text) {
    return QString::fromStdString(agents::markdownLiteralInline(text.toStdString()));
}

QString fencedMarkdown(const QString& text, const QString& info) {
    const QString fence(std::max<qsizetype>(3, longestRun(text, QLatin1Char('`')) + 1), QLatin1Char('`'));
    QString out = fence + info + QLatin1Char('\n') + text;
    if (!text.endsWith(QLatin1Char('\n'))) out += QLatin1Char('\n');
    return out + fence + QLatin1Char('\n');
}

QString codeSpanMarkdown(const QString& text) {
    if (text.trimmed().isEmpty()) return literalMarkdown(text);
    QString body = text;
    body.replace(QLatin1Char('\n'), QLatin1Char(' '));
    const QString ticks(longestRun(body, QLatin1Char('`')) + 1, QLatin1Char('`'));
    const bool pad = body.startsWith(QLatin1Char('`')) || body.endsWith(QLatin1Char('`')) ||
                     (body.startsWith(QLatin1Char(' ')) && body.endsWith(QLatin1Char(' ')));
    const QString space = pad ? QStringLiteral(" ") : QString();
    return ticks + space + body + space + ticks;
}

}  // namespace atelier::ui
