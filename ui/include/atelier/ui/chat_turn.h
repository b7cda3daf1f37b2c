#pragma once
// ChatTurn: one message of a conversation as the GUI shows and stores it. Plain value.

#include <QList>
#include <QMetaType>
#include <QString>

namespace atelier::ui {

struct ToolCallView {
    QString name;
    QString arguments;  // JSON text
    QString result;     // the tool's output, when it came back
};

struct ChatTurn {
    QString role;        // "system", "user", "assistant", "tool"
    QString content;
    QString reasoning;   // thinking text, "" when none
    QList<ToolCallView> toolCalls;
    QString agent;       // the agent that wrote it ("" in a chat)
    qint64 storeId = 0;  // its row in the session store, 0 until stored
    bool streaming = false;
};

}  // namespace atelier::ui

Q_DECLARE_METATYPE(atelier::ui::ChatTurn)
