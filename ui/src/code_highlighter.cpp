#include "atelier/ui/code_highlighter.h"

#include <QFileInfo>
#include <QHash>
#include <QSet>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>

#include "code_keywords.h"

namespace atelier::ui {
namespace {

bool cLike(CodeLanguage l) {
    return l == CodeLanguage::Cpp || l == CodeLanguage::JavaScript || l == CodeLanguage::Rust ||
           l == CodeLanguage::Go;
}
bool hashComments(CodeLanguage l) { return l == CodeLanguage::Python || l == CodeLanguage::Shell; }
bool startsAt(const QString& line, int i, QStringView what) { return QStringView(line).sliced(i).startsWith(what); }
bool isWordStart(QChar c) { return c.isLetter() || c == QLatin1Char('_'); }
bool isWordChar(QChar c) { return c.isLetterOrNumber() || c == QLatin1Char('_'); }

// The end (exclusive) of a string literal opened by line[start].
int stringEnd(const QString& line, int start) {
    const QChar quote = line[start];
    int i = start + 1;
    while (i < line.size()) {
        if (line[i] == QLatin1Char('\\')) i += 2;
        else if (line[i++] == quote) return i;
    }
    return int(line.size());
}

int numberEnd(const QString& line, int i) {
    while (i < line.size() && (line[i].isLetterOrNumber() || line[i] == QLatin1Char('.') || line[i] == QLatin1Char('_')))
        ++i;
    return i;
}

// A Rust lifetime ('a) is not a character literal: a quote only opens one when it closes
// within three characters ('x', '\n').
bool opensString(const QString& line, int i, CodeLanguage l) {
    const QChar c = line[i];
    if (c == QLatin1Char('"')) return true;
    if (c == QLatin1Char('`')) return l == CodeLanguage::JavaScript || l == CodeLanguage::Go || l == CodeLanguage::Shell;
    if (c != QLatin1Char('\'') || l == CodeLanguage::Json) return false;
    if (l != CodeLanguage::Rust) return true;
    return (i + 2 < line.size() && line[i + 2] == QLatin1Char('\'')) ||
           (i + 3 < line.size() && line[i + 1] == QLatin1Char('\\') && line[i + 3] == QLatin1Char('\''));
}

}  // namespace

CodeLanguage languageForFence(const QString& fenceInfo) {
    static const QHash<QString, CodeLanguage> names{
        {"c", CodeLanguage::Cpp}, {"cpp", CodeLanguage::Cpp}, {"c++", CodeLanguage::Cpp},
        {"cc", CodeLanguage::Cpp}, {"cxx", CodeLanguage::Cpp}, {"h", CodeLanguage::Cpp},
        {"hpp", CodeLanguage::Cpp}, {"hh", CodeLanguage::Cpp}, {"cuda", CodeLanguage::Cpp},
        {"cu", CodeLanguage::Cpp}, {"python", CodeLanguage::Python}, {"py", CodeLanguage::Python},
        {"javascript", CodeLanguage::JavaScript}, {"js", CodeLanguage::JavaScript},
        {"jsx", CodeLanguage::JavaScript}, {"mjs", CodeLanguage::JavaScript},
        {"typescript", CodeLanguage::JavaScript}, {"ts", CodeLanguage::JavaScript},
        {"tsx", CodeLanguage::JavaScript}, {"json", CodeLanguage::Json}, {"jsonl", CodeLanguage::Json},
        {"sh", CodeLanguage::Shell}, {"bash", CodeLanguage::Shell}, {"shell", CodeLanguage::Shell},
        {"zsh", CodeLanguage::Shell}, {"console", CodeLanguage::Shell}, {"rust", CodeLanguage::Rust},
        {"rs", CodeLanguage::Rust}, {"go", CodeLanguage::Go}, {"golang", CodeLanguage::Go}};
    const QString key = fenceInfo.trimmed().section(QLatin1Char(' '), 0, 0).toLower();
    return names.value(key, CodeLanguage::None);
}

CodeLanguage languageForPath(const QString& path) {
    const QFileInfo info(path);
    if (info.fileName() == QLatin1String("CMakeLists.txt")) return CodeLanguage::Shell;  // # comments
    return languageForFence(info.suffix());
}

QList<CodeSpan> highlightLine(const QString& line, CodeLanguage language, int& state) {
    QList<CodeSpan> spans;
    if (language == CodeLanguage::None) return spans;
    const int n = int(line.size());
    int i = 0;
    if (state == 1) {
        const int close = int(line.indexOf(QLatin1String("*/")));
        const int end = close < 0 ? n : close + 2;
        spans.append({0, end, CodeToken::Comment});
        if (close < 0) return spans;
        state = 0;
        i = end;
    }
    if (language == CodeLanguage::Cpp && line.trimmed().startsWith(QLatin1Char('#'))) {
        spans.append({i, n - i, CodeToken::Preprocessor});
        return spans;
    }
    const CodeKeywords& words = codeKeywords(language);
    while (i < n) {
        const QChar c = line[i];
        if ((cLike(language) && startsAt(line, i, u"//")) || (hashComments(language) && c == QLatin1Char('#'))) {
            spans.append({i, n - i, CodeToken::Comment});
            break;
        }
        if (cLike(language) && startsAt(line, i, u"/*")) {
            const int close = int(line.indexOf(QLatin1String("*/"), i + 2));
            const int end = close < 0 ? n : close + 2;
            spans.append({i, end - i, CodeToken::Comment});
            if (close < 0) state = 1;
            i = end;
        } else if (opensString(line, i, language)) {
            const int end = stringEnd(line, i);
            spans.append({i, end - i, CodeToken::String});
            i = end;
        } else if (c.isDigit() || (c == QLatin1Char('-') && language == CodeLanguage::Json && i + 1 < n && line[i + 1].isDigit())) {
            const int end = numberEnd(line, i + 1);
            spans.append({i, end - i, CodeToken::Number});
            i = end;
        } else if (isWordStart(c)) {
            int end = i + 1;
            while (end < n && isWordChar(line[end])) ++end;
            const QString word = line.mid(i, end - i);
            if (words.keywords.contains(word)) spans.append({i, end - i, CodeToken::Keyword});
            else if (words.types.contains(word)) spans.append({i, end - i, CodeToken::Type});
            i = end;
        } else {
            ++i;
        }
    }
    return spans;
}

QTextCharFormat codeFormat(CodeToken token, bool dark) {
    QTextCharFormat f;
    switch (token) {
        case CodeToken::Keyword:
            f.setForeground(dark ? QColor(0xc6, 0x78, 0xdd) : QColor(0x8a, 0x1c, 0xa8));
            f.setFontWeight(QFont::Bold);
            break;
        case CodeToken::Type: f.setForeground(dark ? QColor(0x56, 0xb6, 0xc2) : QColor(0x00, 0x6b, 0x80)); break;
        case CodeToken::String: f.setForeground(dark ? QColor(0x98, 0xc3, 0x79) : QColor(0x1f, 0x7a, 0x1f)); break;
        case CodeToken::Number: f.setForeground(dark ? QColor(0xd1, 0x9a, 0x66) : QColor(0xa3, 0x4d, 0x00)); break;
        case CodeToken::Comment:
            f.setForeground(dark ? QColor(0x7f, 0x84, 0x8e) : QColor(0x6a, 0x73, 0x7d));
            f.setFontItalic(true);
            break;
        case CodeToken::Preprocessor: f.setForeground(dark ? QColor(0xe0, 0x6c, 0x75) : QColor(0xb3, 0x1d, 0x28)); break;
    }
    return f;
}

void highlightCodeBlocks(QTextDocument* document, bool dark) {
    int state = 0;
    QTextCursor cursor(document);
    for (QTextBlock b = document->begin(); b.isValid(); b = b.next()) {
        const QTextBlockFormat bf = b.blockFormat();
        if (!bf.hasProperty(QTextFormat::BlockCodeFence)) {
            state = 0;
            continue;
        }
        const CodeLanguage language = languageForFence(bf.stringProperty(QTextFormat::BlockCodeLanguage));
        // A block may hold several lines joined by line separators.
        const QString text = b.text();
        int lineStart = 0;
        for (const QString& line : text.split(QChar::LineSeparator)) {
            for (const CodeSpan& s : highlightLine(line, language, state)) {
                cursor.setPosition(b.position() + lineStart + s.start);
                cursor.setPosition(b.position() + lineStart + s.start + s.length, QTextCursor::KeepAnchor);
                cursor.mergeCharFormat(codeFormat(s.token, dark));
            }
            lineStart += int(line.size()) + 1;
        }
    }
}

CodeHighlighter::CodeHighlighter(QTextDocument* document, CodeLanguage language, bool dark)
    : QSyntaxHighlighter(document), m_language(language), m_dark(dark) {}

void CodeHighlighter::setLanguage(CodeLanguage language) {
    if (language == m_language) return;
    m_language = language;
    rehighlight();
}

void CodeHighlighter::setDark(bool dark) {
    if (dark == m_dark) return;
    m_dark = dark;
    rehighlight();
}

void CodeHighlighter::highlightBlock(const QString& text) {
    int state = qMax(0, previousBlockState());
    for (const CodeSpan& s : highlightLine(text, m_language, state)) setFormat(s.start, s.length, codeFormat(s.token, m_dark));
    setCurrentBlockState(state);
}

}  // namespace atelier::ui
