#include "commit_html.h"

#include <QObject>
#include <QStringList>

namespace atelier::ui {
namespace {

struct DiffColours {
    const char* addedBg;
    const char* addedFg;
    const char* removedBg;
    const char* removedFg;
    const char* hunk;
};

QString patchLine(const QString& line, const DiffColours& c) {
    const QString text = line.toHtmlEscaped();
    if (line.startsWith(QLatin1String("+++")) || line.startsWith(QLatin1String("---")) ||
        line.startsWith(QLatin1String("diff --git")))
        return QStringLiteral("<b>%1</b>").arg(text);
    if (line.startsWith(QLatin1Char('+')))
        return QStringLiteral("<span style=\"background-color:%1; color:%2\">%3</span>").arg(c.addedBg, c.addedFg, text);
    if (line.startsWith(QLatin1Char('-')))
        return QStringLiteral("<span style=\"background-color:%1; color:%2\">%3</span>").arg(c.removedBg, c.removedFg, text);
    if (line.startsWith(QLatin1String("@@"))) return QStringLiteral("<span style=\"color:%1\">%2</span>").arg(c.hunk, text);
    return text;
}

}  // namespace

QString commitHtml(const CommitDetails& commit, bool dark) {
    const DiffColours c = dark ? DiffColours{"#12361c", "#8fe3a0", "#4a1a1d", "#f2a5aa", "#7fb4ff"}
                               : DiffColours{"#e6ffec", "#116329", "#ffebe9", "#a40e26", "#0550ae"};
    QString html = QStringLiteral("<p><b>%1</b> %2<br/>%3 %4<br/>%5 %6</p>")
                       .arg(QObject::tr("Commit"), commit.id, QObject::tr("Author:"), commit.author.toHtmlEscaped(),
                            QObject::tr("Date:"), commit.date);
    html += QStringLiteral("<pre>%1</pre><hr/><pre>").arg(commit.message.toHtmlEscaped());
    QStringList lines;
    for (const QString& line : commit.patch.split(QLatin1Char('\n'))) lines << patchLine(line, c);
    html += lines.join(QLatin1Char('\n')) + QStringLiteral("</pre>");
    if (commit.truncated) html += QObject::tr("<p><i>The diff is longer than shown here.</i></p>");
    return html;
}

}  // namespace atelier::ui
