#include "atelier/ui/conversation_view.h"

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QScrollBar>
#include <QTextBlock>
#include <QTimer>

#include "atelier/ui/chat_markdown.h"
#include "atelier/ui/code_highlighter.h"

namespace atelier::ui {
namespace {

QString roleHeading(const ChatTurn& t, const QString& modelLabel) {
    switch (t.role) {
    case engine::ChatRole::User: return QObject::tr("You");
    case engine::ChatRole::Assistant:
        // Its own model when recorded; the one loaded now only for turns stored without one.
        if (!t.agent.isEmpty()) return t.agent;
        if (!t.model.isEmpty()) return t.model;
        return modelLabel.isEmpty() ? QObject::tr("Assistant") : modelLabel;
    case engine::ChatRole::Tool: return QObject::tr("Tool result");
    case engine::ChatRole::System:
    case engine::ChatRole::Developer:
    case engine::ChatRole::LatestReminder: break;
    }
    return QObject::tr("System");
}

// "Sources: [a.pdf, p. 3](cite:0) · [main.cpp:10–20](cite:1)" for one tool call.
QString sourceLinks(const ToolCallView& call, QList<SourceLink>& citations) {
    const QList<SourceLink> sources = call.sources.isEmpty() ? sourceLinksFromCall(call.name, call.arguments) : call.sources;
    if (sources.isEmpty()) return {};
    QStringList links;
    for (const SourceLink& s : sources) {
        links << QLatin1Char('[') + literalMarkdown(sourceLabel(s)) + QStringLiteral("](cite:") +
                     QString::number(citations.size()) + QLatin1Char(')');
        citations << s;
    }
    return QObject::tr("Sources: %1\n\n").arg(links.join(QStringLiteral(" · ")));
}

// The reasoning as a block quote: every line of its Markdown behind "> ".
QString quoted(const QString& markdown) {
    QString out;
    for (const QString& line : markdown.split(QLatin1Char('\n')))
        out += (line.isEmpty() ? QStringLiteral(">") : QStringLiteral("> ") + line) + QLatin1Char('\n');
    return out;
}

}  // namespace

ConversationRender renderConversation(const QList<ChatTurn>& turns, const QSet<int>& openReasoning,
                                      const QSet<QString>& openTools, const QString& modelLabel) {
    ConversationRender r;
    for (int i = 0; i < turns.size(); ++i) {
        const ChatTurn& t = turns[i];
        // Stored text never goes in as HTML: chat_markdown.h escapes what Markdown would hide.
        r.markdown += QStringLiteral("#### ") + literalMarkdown(roleHeading(t, modelLabel)) +
                      (t.streaming ? QStringLiteral(" …") : QString()) + QStringLiteral("\n\n");
        if (!t.reasoning.isEmpty()) {
            const qsizetype words = t.reasoning.split(QLatin1Char(' '), Qt::SkipEmptyParts).size();
            if (openReasoning.contains(i)) {
                r.markdown += QObject::tr("[▾ Reasoning (%1 words)](reasoning:%2)\n\n").arg(words).arg(i);
                r.markdown += quoted(chatTextMarkdown(t.reasoning, r.codeBlocks)) + QLatin1Char('\n');
            } else {
                r.markdown += QObject::tr("[▸ Reasoning (%1 words)](reasoning:%2)\n\n").arg(words).arg(i);
            }
        }
        if (t.role == engine::ChatRole::Tool && !t.content.isEmpty())  // a tool's output is no Markdown
            r.markdown += fencedMarkdown(t.content) + QLatin1Char('\n');
        else if (!t.content.isEmpty())  // a user's line breaks show as typed (#19)
            r.markdown += chatTextMarkdown(t.content, r.codeBlocks,
                                           t.role == engine::ChatRole::User ? ChatLineBreaks::Hard : ChatLineBreaks::Soft) +
                          QStringLiteral("\n\n");
        for (int j = 0; j < t.toolCalls.size(); ++j) {
            const ToolCallView& c = t.toolCalls[j];
            const QString key = QStringLiteral("%1.%2").arg(i).arg(j);
            const bool open = openTools.contains(key);
            r.markdown += QObject::tr("%1 **Tool call: %2** [%3](tool:%4)\n\n")
                              .arg(open ? QStringLiteral("▾") : QStringLiteral("▸"), codeSpanMarkdown(c.name),
                                   open ? QObject::tr("hide") : QObject::tr("show"), key);
            r.markdown += sourceLinks(c, r.citations);
            if (open) {
                r.markdown += QObject::tr("Arguments:\n\n") + fencedMarkdown(c.arguments, QStringLiteral("json"));
                if (!c.result.isEmpty()) r.markdown += QObject::tr("\nResult:\n\n") + fencedMarkdown(c.result);
                r.markdown += QLatin1Char('\n');
            }
        }
    }
    return r;
}

ConversationView::ConversationView(QWidget* parent) : QTextBrowser(parent) {
    setOpenLinks(false);
    setOpenExternalLinks(false);
    m_throttle = new QTimer(this);
    m_throttle->setSingleShot(true);
    m_throttle->setInterval(66);
    connect(m_throttle, &QTimer::timeout, this, &ConversationView::render);
    connect(this, &QTextBrowser::anchorClicked, this, &ConversationView::onLink);
}

void ConversationView::setPlaceholderHtml(const QString& html) {
    m_placeholder = html;
    if (m_turns.isEmpty()) render();
}

void ConversationView::setTurns(const QList<ChatTurn>& turns, bool now) {
    if (turns.size() < m_turns.size()) {
        m_openReasoning.clear();
        m_openTools.clear();
    }
    m_turns = turns;
    if (now) render();
    else if (!m_throttle->isActive()) m_throttle->start();
}

void ConversationView::render() {
    m_throttle->stop();
    ++m_renders;
    if (m_turns.isEmpty()) {
        setHtml(m_placeholder);
        return;
    }
    QScrollBar* bar = verticalScrollBar();
    const bool atEnd = bar->value() >= bar->maximum() - 4;
    const int keep = bar->value();
    const ConversationRender r = renderConversation(m_turns, m_openReasoning, m_openTools, m_modelLabel);
    m_codeBlocks = r.codeBlocks;
    m_citations = r.citations;
    document()->setMarkdown(r.markdown, kChatMarkdownFeatures);
    styleCodeBlocks();
    bar->setValue(atEnd ? bar->maximum() : keep);
}

// QTextDocument marks fenced blocks with BlockCodeFence; give them a shaded monospace block.
void ConversationView::styleCodeBlocks() {
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    const QColor shade = palette().color(QPalette::AlternateBase);
    QTextCursor cursor(document());
    for (QTextBlock b = document()->begin(); b.isValid(); b = b.next()) {
        if (!b.blockFormat().hasProperty(QTextFormat::BlockCodeFence)) continue;
        cursor.setPosition(b.position());
        QTextBlockFormat f = b.blockFormat();
        f.setBackground(shade);
        cursor.setBlockFormat(f);
        cursor.movePosition(QTextCursor::EndOfBlock, QTextCursor::KeepAnchor);
        QTextCharFormat cf;
        cf.setFont(mono);
        cursor.mergeCharFormat(cf);
    }
    highlightCodeBlocks(document(), palette().color(QPalette::Base).lightness() < 128);
}

void ConversationView::onLink(const QUrl& url) {
    const QString scheme = url.scheme();
    const QString what = url.path();
    if (scheme == QLatin1String("copy")) {
        const int n = what.toInt();
        if (n >= 0 && n < m_codeBlocks.size()) {
            QApplication::clipboard()->setText(m_codeBlocks[n]);
            emit codeCopied(m_codeBlocks[n]);
        }
        return;
    }
    if (scheme == QLatin1String("cite")) {
        const int n = what.toInt();
        if (n >= 0 && n < m_citations.size()) emit sourceActivated(m_citations[n]);
        return;
    }
    if (scheme == QLatin1String("reasoning")) {
        const int i = what.toInt();
        if (!m_openReasoning.remove(i)) m_openReasoning.insert(i);
    } else if (scheme == QLatin1String("tool")) {
        if (!m_openTools.remove(what)) m_openTools.insert(what);
    }
    render();
}

}  // namespace atelier::ui
