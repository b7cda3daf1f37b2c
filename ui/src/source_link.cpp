#include "atelier/ui/source_link.h"

#include <QObject>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace atelier::ui {
namespace {

// A search pattern that is plain text can be highlighted as a passage; a regex cannot.
QString literalPattern(const QString& pattern) {
    static const QRegularExpression meta(QStringLiteral("[\\\\^$.|?*+()\\[\\]{}]"));
    return pattern.contains(meta) ? QString() : pattern;
}

}  // namespace

QList<SourceLink> sourceLinksFromJson(const QJsonArray& array) {
    QList<SourceLink> links;
    for (const auto& v : array) {
        const QJsonObject o = v.toObject();
        SourceLink s;
        s.kind = o.value(QStringLiteral("kind")).toString();
        if (s.kind != QLatin1String("pdf") && s.kind != QLatin1String("file") && s.kind != QLatin1String("git"))
            continue;
        s.path = o.value(QStringLiteral("path")).toString();
        s.firstLine = o.value(QStringLiteral("first_line")).toInt();
        s.lastLine = o.value(QStringLiteral("last_line")).toInt(s.firstLine);
        s.page = o.value(QStringLiteral("page")).toInt();
        s.commit = o.value(QStringLiteral("commit")).toString();
        s.snippet = o.value(QStringLiteral("snippet")).toString();
        if (s.isValid()) links.append(s);
    }
    return links;
}

QList<SourceLink> sourceLinksFromCall(const QString& tool, const QString& argumentsJson) {
    const QJsonObject a = QJsonDocument::fromJson(argumentsJson.toUtf8()).object();
    if (a.isEmpty()) return {};
    SourceLink s;
    const QString path = a.value(QStringLiteral("path")).toString();
    if (tool == QLatin1String("files_read") && !path.isEmpty()) {
        s.kind = QStringLiteral("file");
        s.path = path;
        s.firstLine = a.value(QStringLiteral("start_line")).toInt(1);
        s.lastLine = a.value(QStringLiteral("end_line")).toInt(s.firstLine);
    } else if ((tool == QLatin1String("pdf_read") || tool == QLatin1String("pdf_search")) && !path.isEmpty()) {
        s.kind = QStringLiteral("pdf");
        s.path = path;
        s.page = a.value(QStringLiteral("first_page")).toInt(1);
        s.snippet = literalPattern(a.value(QStringLiteral("pattern")).toString());
    } else if (tool == QLatin1String("git_show")) {
        s.kind = QStringLiteral("git");
        s.path = a.value(QStringLiteral("repo")).toString(QStringLiteral("."));
        s.commit = a.value(QStringLiteral("rev")).toString(QStringLiteral("HEAD"));
    } else if ((tool == QLatin1String("git_file") || tool == QLatin1String("git_blame")) && !path.isEmpty()) {
        // The working-tree file at the cited lines: what the user can open and edit.
        const QString repo = a.value(QStringLiteral("repo")).toString();
        s.kind = QStringLiteral("file");
        s.path = repo.isEmpty() ? path : repo + QLatin1Char('/') + path;
        s.firstLine = a.value(QStringLiteral("start_line")).toInt(1);
        s.lastLine = a.value(QStringLiteral("end_line")).toInt(s.firstLine);
    } else {
        return {};
    }
    return {s};
}

SourceLink sourceLinkFromSpec(const QString& spec) {
    SourceLink s;
    if (spec.isEmpty()) return s;
    static const QRegularExpression commit(QStringLiteral("^(.+)@([^@/]+)$"));
    if (const auto m = commit.match(spec); m.hasMatch() && QFileInfo(m.captured(1)).isDir()) {
        s.kind = QStringLiteral("git");
        s.path = m.captured(1);
        s.commit = m.captured(2);
        return s;
    }
    static const QRegularExpression place(QStringLiteral("^(.+?):(\\d+)(?:-(\\d+))?(?:=(.*))?$"));
    const auto m = place.match(spec);
    s.path = m.hasMatch() ? m.captured(1) : spec;
    const int n = m.hasMatch() ? m.captured(2).toInt() : 1;
    if (s.path.endsWith(QLatin1String(".pdf"), Qt::CaseInsensitive)) {
        s.kind = QStringLiteral("pdf");
        s.page = n;
        s.snippet = m.captured(4);
    } else {
        s.kind = QStringLiteral("file");
        s.firstLine = n;
        s.lastLine = m.captured(3).isEmpty() ? n : m.captured(3).toInt();
    }
    return s;
}

QString sourceLabel(const SourceLink& link) {
    const QString name = QFileInfo(link.path).fileName().isEmpty() ? link.path : QFileInfo(link.path).fileName();
    if (link.kind == QLatin1String("pdf")) return QObject::tr("%1, p. %2").arg(name).arg(qMax(1, link.page));
    if (link.kind == QLatin1String("git")) return QObject::tr("commit %1").arg(link.commit.left(10));
    if (link.firstLine <= 0) return name;
    if (link.lastLine > link.firstLine) return QStringLiteral("%1:%2–%3").arg(name).arg(link.firstLine).arg(link.lastLine);
    return QStringLiteral("%1:%2").arg(name).arg(link.firstLine);
}

}  // namespace atelier::ui
