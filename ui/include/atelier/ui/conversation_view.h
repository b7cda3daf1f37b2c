#pragma once
// ConversationView: the conversation as Markdown (QTextDocument's GitHub dialect, no HTML):
// one section per turn, reasoning collapsed behind a link until expanded, tool calls as cards
// (name, its sources as links that open the document viewer; arguments and result when
// expanded), code blocks in a monospace, syntax-coloured block with a "Copy" link above each. Re-rendering is throttled so a fast stream costs at most ~15 renders/s.
// GUI thread only.

#include <QList>
#include <QSet>
#include <QStringList>
#include <QTextBrowser>

#include "atelier/ui/chat_turn.h"

class QTimer;

namespace atelier::ui {

struct ConversationRender {
    QString markdown;
    QStringList codeBlocks;  // the text each "copy:N" link copies
    QList<SourceLink> citations;  // the source each "cite:N" link opens
};

// The Markdown for `turns`. Links: "reasoning:I" and "tool:I.J" toggle turn I's reasoning and
// its J-th tool card; "copy:N" copies code block N; "cite:N" opens a tool call's source N.
// An assistant turn is headed by its agent, else the model recorded with it (ChatTurn::model),
// else `modelLabel` (the model loaded now). Stored text shows as stored (chat_markdown.h).
ConversationRender renderConversation(const QList<ChatTurn>& turns, const QSet<int>& openReasoning,
                                      const QSet<QString>& openTools, const QString& modelLabel);

class ConversationView : public QTextBrowser {
    Q_OBJECT
public:
    explicit ConversationView(QWidget* parent = nullptr);

    // Shows `turns` (rendered at the next throttle tick, or at once when `now`).
    void setTurns(const QList<ChatTurn>& turns, bool now = false);
    void setModelLabel(const QString& label) { m_modelLabel = label; }
    // Shown when there are no turns (the first-start explanation).
    void setPlaceholderHtml(const QString& html);
    int renderCount() const { return m_renders; }

signals:
    void codeCopied(const QString& code);
    // A citation link was clicked: open `source` at its page, lines or commit.
    void sourceActivated(const atelier::ui::SourceLink& source);

private:
    void render();
    void onLink(const QUrl& url);
    void styleCodeBlocks();

    QList<ChatTurn> m_turns;
    QSet<int> m_openReasoning;
    QSet<QString> m_openTools;
    QStringList m_codeBlocks;
    QList<SourceLink> m_citations;
    QString m_modelLabel;
    QString m_placeholder;
    QTimer* m_throttle = nullptr;
    int m_renders = 0;
};

}  // namespace atelier::ui
