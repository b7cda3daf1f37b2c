#pragma once
// SourceLink: where a tool result came from, as the GUI shows and opens it: a PDF page, lines
// of a text file, or a git commit. The GUI-side copy of agents::SourceRef (same JSON form, see
// SourceRef::toJson), plus the passage to highlight when one is known. Plain value.

#include <QJsonArray>
#include <QList>
#include <QMetaType>
#include <QString>

namespace atelier::ui {

struct SourceLink {
    QString kind;       // "pdf", "file", "git"
    QString path;       // file, or repository folder for "git"
    int firstLine = 0;  // 1-based, 0 when not applicable
    int lastLine = 0;
    int page = 0;       // PDF page, 1-based
    QString commit;     // revision for "git" ("" = HEAD)
    QString snippet;    // passage to highlight on a PDF page, "" when unknown

    bool isValid() const { return !kind.isEmpty() && (!path.isEmpty() || !commit.isEmpty()); }
};

// Parses an array of SourceRef::toJson objects; entries of unknown kind are skipped.
QList<SourceLink> sourceLinksFromJson(const QJsonArray& array);

// What a call of the built-in tool `tool` with `argumentsJson` reads, judged from its arguments
// (files_read, pdf_read, pdf_search, git_show, git_file, git_blame): the fallback while a
// result carries no sources. Empty for other tools or malformed arguments.
QList<SourceLink> sourceLinksFromCall(const QString& tool, const QString& argumentsJson);

// A link from a command-line spec: "FILE[:LINE]", "PAPER.pdf[:PAGE][=PASSAGE]" or
// "REPOSITORY@REVISION". Invalid (kind "") when the spec is empty.
SourceLink sourceLinkFromSpec(const QString& spec);

// A short label for a link: "paper.pdf, p. 3", "main.cpp:10–20", "commit 1a2b3c4d".
QString sourceLabel(const SourceLink& link);

}  // namespace atelier::ui

Q_DECLARE_METATYPE(atelier::ui::SourceLink)
