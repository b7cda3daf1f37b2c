#pragma once
// ChatTurn: one message of a conversation as the GUI shows and stores it. Plain value.

#include <QList>
#include <QMetaType>
#include <QString>

#include "atelier/engine/chat_format.h"
#include "atelier/ui/source_link.h"

namespace atelier::ui {

struct ToolCallView {
    QString name;
    QString arguments;  // JSON text
    QString result;     // the tool's output, when it came back
    // Where the result came from (a tool result's "sources"); when empty, the conversation
    // derives them from the arguments of the built-in tools (sourceLinksFromCall).
    QList<SourceLink> sources;
};

struct ChatTurn {
    engine::ChatRole role = engine::ChatRole::User;
    QString content;
    QString reasoning;   // thinking text, "" when none
    QList<ToolCallView> toolCalls;
    QString agent;       // the agent that wrote it ("" in a chat)
    qint64 storeId = 0;  // its row in the session store, 0 until stored
    bool streaming = false;
    // A reply's generation settings as stored (samplingRecord() JSON text), "" when unknown.
    QString sampling;
    // The display name of the model that wrote an assistant turn, taken when it was produced and
    // stored in its sampling record ("model_name"); "" when not known (older turns).
    QString model;
};

}  // namespace atelier::ui

Q_DECLARE_METATYPE(atelier::ui::ChatTurn)
