#pragma once
// The stored form of a turn's tool calls (SessionStore's Message::toolCalls). The desktop writes
// OpenAI's [{"type":"function","function":{"name","arguments"}}]; team runs (RunJournal) write
// [{"name","arguments"}]; either may carry "sources" (SourceRef::toJson objects). Any thread.

#include <QList>
#include <string>

#include "atelier/ui/chat_turn.h"

namespace atelier::ui {

std::string toolCallsToJson(const QList<ToolCallView>& calls);  // "" when there are none
// Both forms; malformed text gives no calls.
QList<ToolCallView> toolCallsFromJson(const std::string& text);

}  // namespace atelier::ui
