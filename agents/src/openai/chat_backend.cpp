// The turn API's shared pieces (chat_backend.h): finish and cut names, offered tool names.

#include "atelier/agents/chat_backend.h"

#include <nlohmann/json.hpp>

namespace atelier::agents {

const char* turnFinishName(TurnFinish finish) {
    switch (finish) {
    case TurnFinish::Stop: return "stop";
    case TurnFinish::ToolCalls: return "tool_calls";
    case TurnFinish::Length: return "length";
    case TurnFinish::ContextFull: return "context";
    case TurnFinish::Cancelled: return "cancelled";
    }
    return "stop";
}

const char* openAiFinishReason(TurnFinish finish) {
    return finish == TurnFinish::ContextFull ? "length" : turnFinishName(finish);
}

TurnFinish turnFinishFromName(std::string_view name) {
    for (auto f : {TurnFinish::ToolCalls, TurnFinish::Length, TurnFinish::ContextFull,
                   TurnFinish::Cancelled})
        if (name == turnFinishName(f)) return f;
    // vLLM and older OpenAI servers: the deprecated "function_call" ends a turn with a call.
    if (name == "function_call") return TurnFinish::ToolCalls;
    return TurnFinish::Stop;
}

const char* turnCutName(TurnCut cut) {
    switch (cut) {
    case TurnCut::None: return "none";
    case TurnCut::Reasoning: return "reasoning";
    case TurnCut::Content: return "content";
    case TurnCut::ToolCall: return "tool_call";
    }
    return "none";
}

std::vector<std::string> offeredToolNames(const std::vector<engine::ChatMessage>& messages) {
    std::vector<std::string> names;
    for (const auto& m : messages)
        for (const auto& schema : m.toolSchemas) {
            const auto fn = nlohmann::json::parse(schema, nullptr, false);
            if (fn.is_object() && fn.contains("name") && fn["name"].is_string())
                names.push_back(fn["name"].get<std::string>());
        }
    return names;
}

}  // namespace atelier::agents
