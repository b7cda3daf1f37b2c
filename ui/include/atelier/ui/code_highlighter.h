#pragma once
// Syntax colouring for code: a small line lexer (keywords, types, strings, numbers, comments,
// preprocessor lines) for C/C++, Python, JS/TS, JSON, shell, Rust and Go, keyed on a Markdown
// fence's language or a file name. The conversation colours its fenced blocks with it
// (highlightCodeBlocks) and the document viewer's source view with CodeHighlighter.
// GUI thread only (QTextDocument, QSyntaxHighlighter); highlightLine itself is pure.

#include <QList>
#include <QString>
#include <QSyntaxHighlighter>
#include <QTextCharFormat>

class QTextDocument;

namespace atelier::ui {

enum class CodeLanguage { None, Cpp, Python, JavaScript, Json, Shell, Rust, Go };
enum class CodeToken { Keyword, Type, String, Number, Comment, Preprocessor };

struct CodeSpan {
    int start = 0;   // in UTF-16 code units of the line
    int length = 0;
    CodeToken token = CodeToken::Keyword;
};

// "cpp", "c++", "h", "py", "js", "tsx", "json", "sh", "bash", "rs", "go", ... (case-insensitive);
// None when unknown.
CodeLanguage languageForFence(const QString& fenceInfo);
CodeLanguage languageForPath(const QString& path);

// The coloured spans of one line. `state` carries a block comment across lines: 0 outside, 1
// inside; pass the previous line's value and read the new one back.
QList<CodeSpan> highlightLine(const QString& line, CodeLanguage language, int& state);

// The colour of a token on a light or a dark background.
QTextCharFormat codeFormat(CodeToken token, bool dark);

// Colours every fenced code block of a Markdown-built document by its fence language.
void highlightCodeBlocks(QTextDocument* document, bool dark);

class CodeHighlighter : public QSyntaxHighlighter {
    Q_OBJECT
public:
    CodeHighlighter(QTextDocument* document, CodeLanguage language, bool dark);
    void setLanguage(CodeLanguage language);
    CodeLanguage language() const { return m_language; }
    void setDark(bool dark);  // colours for a dark background

protected:
    void highlightBlock(const QString& text) override;

private:
    CodeLanguage m_language;
    bool m_dark;
};

}  // namespace atelier::ui
