#pragma once
// Chat text (a user's message, a model's reply or reasoning, a tool's output) turned into the
// Markdown that the ConversationView gives QTextDocument, such that the screen shows every
// character that was stored. Replies are Markdown and keep their formatting (emphasis, lists,
// tables, code); what Markdown would otherwise swallow or change is escaped:
// - raw HTML: never interpreted (kChatMarkdownFeatures has MarkdownNoHTML) and `<` is escaped
//   as well, so `vector<int>`, `</think>`, `<｜end▁of▁sentence｜>` or an autolink keep their
//   angle brackets;
// - entity references (`&amp;`, `&#60;`) are escaped, so they show as typed, not decoded;
// - every backslash is escaped, so `C:\dir\*`, `\(x\)` or a trailing `\` show as typed;
// - code spans, fenced and indented code blocks are copied verbatim (Markdown shows them
//   literally), and a fence left open (a reply still streaming, or cut short) is closed at the
//   end of the text, so it cannot swallow the turns after it.
// Pure functions; any thread.

#include <QStringList>
#include <QTextDocument>

namespace atelier::ui {

// The features the conversation is parsed with: GitHub's dialect, no HTML.
inline constexpr auto kChatMarkdownFeatures = QTextDocument::MarkdownFeatures(
    QTextDocument::MarkdownDialectGitHub | QTextDocument::MarkdownNoHTML);

// How a line break inside a paragraph shows: Markdown's soft break (a space; replies, which are
// Markdown) or a hard break (a new line; a user's message, typed as plain text with Shift+Enter
// or pasted, shows its lines as typed).
enum class ChatLineBreaks { Soft, Hard };

// `text` (Markdown) escaped as described above. Each fenced code block gets a "[⧉ Copy](copy:N)"
// link before it, N counting on from codeBlocks.size(); its code is appended to `codeBlocks`.
QString chatTextMarkdown(const QString& text, QStringList& codeBlocks,
                         ChatLineBreaks breaks = ChatLineBreaks::Soft);

// `text` shown literally as inline text: every ASCII punctuation character escaped (labels,
// names). Line breaks become spaces.
QString literalMarkdown(const QString& text);

// `text` shown literally as a fenced code block, its fence longer than any backtick run inside.
QString fencedMarkdown(const QString& text, const QString& info = {});

// `text` shown literally as a code span.
QString codeSpanMarkdown(const QString& text);

}  // namespace atelier::ui
