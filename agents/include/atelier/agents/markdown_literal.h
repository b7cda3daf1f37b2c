#pragma once
// Text shown literally by a Markdown renderer (CommonMark, GitHub's dialect, with or without
// raw HTML): what a person or a model said, put into a Markdown document (a session export, a
// label in the conversation window) so that rendering it shows the stored characters, not
// emphasis, headings, lists, HTML or decoded entities. The characters Markdown reads are
// backslash-escaped (CommonMark lets any ASCII punctuation be): \ ` * _ ~ [ ] < > & | #
// anywhere, and + - = and an ordered list's "1." or "1)" at the start of a line, so `*x*`,
// `# h`, `<script>`, `</think>`, `&amp;` and backticks show as typed while ordinary prose
// (commas, full stops, quotes, brackets) stays readable in the raw file. Pure functions
// (UTF-8 in and out); any thread. Other bytes pass through unchanged.

#include <string>
#include <string_view>

namespace atelier::agents {

// One paragraph that keeps the text's lines: each line break (\n, \r\n or \r) is a hard line
// break, so blank lines inside the text stay; spaces at the start or end of a line are written
// as &nbsp; (a tab there as four), so indentation neither makes a code block nor disappears (a
// renderer shows no-break spaces there). Line breaks at the very end are dropped (a paragraph
// cannot end in one).
std::string markdownLiteral(std::string_view text);

// Inline text (a title, a name, a link's label): line breaks become spaces and every ASCII
// punctuation character is escaped, so not even an autolink (`https://..`, `www.`, `a@b.c`)
// can form inside a link's label.
std::string markdownLiteralInline(std::string_view text);

}  // namespace atelier::agents
