#pragma once
// ChatBackend: one assistant turn from a conversation, wherever the model runs. The local
// implementation (local_chat_backend.h) renders the chat format and runs the in-process
// GenerationService; the remote one (remote_chat_backend.h) talks to an OpenAI-compatible
// server (vLLM, SGLang, llama.cpp's server, another Atelier). The runtime and the GUI use
// either through this interface.
// Events arrive on a thread of the backend (the scheduler thread, or the remote reader thread),
// in order; the last one is exactly one Done or Error. start() and ChatTurn's methods may be
// called from any thread; the sink must not call back into the turn's wait().

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "atelier/engine/chat_format.h"
#include "atelier/engine/result.h"

namespace atelier::agents {

struct ChatSampling {
    float temperature = 1.0f;  // 0: greedy
    float topP = 1.0f;         // 1: off
    int topK = 0;              // 0: off (not in OpenAI's API; sent as an extension field)
    int maxTokens = 256;       // 0: to the context's end
    std::uint64_t seed = 0;
    std::vector<std::string> stop;  // stop strings
};

// OpenAI's tool_choice: "auto", "none" (tools are not offered), "required" or one function.
enum class ToolChoice { Auto, None, Required, Function };

struct ChatBackendRequest {
    // As parseChatMessages() reads them: the tools' `function` objects are the first message's
    // toolSchemas (JSON text).
    std::vector<engine::ChatMessage> messages;
    ToolChoice toolChoice = ToolChoice::Auto;
    std::string toolChoiceName;  // ToolChoice::Function only
    engine::ChatMode mode = engine::ChatMode::Chat;
    ChatSampling sampling;
};

struct ChatUsage {
    std::int64_t promptTokens = 0;
    std::int64_t cachedTokens = 0;  // prompt tokens served from a prefix cache
    std::int64_t completionTokens = 0;
};

enum class ChatEventKind {
    ReasoningDelta,  // text
    ContentDelta,    // text
    ToolCall,        // toolCall: one complete call (id, name, arguments JSON text)
    Usage,           // usage
    Done,            // finishReason: "stop" | "length" | "tool_calls" | "cancelled"
    Error,           // error; nothing follows
    // A piece of a tool call while it is generated: toolIndex; on the call's first piece
    // toolCall.id and toolCall.name; text: more of the arguments JSON text. The pieces of one
    // call concatenate to the arguments of the ToolCall event that completes it.
    ToolCallDelta,
};

struct ChatEvent {
    ChatEventKind kind = ChatEventKind::ContentDelta;
    std::string text;
    engine::ChatToolCall toolCall;
    std::size_t toolIndex = 0;  // ToolCall and ToolCallDelta: the call's index in the turn
    ChatUsage usage;
    std::string finishReason;
    Error error;
};

using ChatEventSink = std::function<void(const ChatEvent&)>;

// A running turn. Destroying it cancels the turn and waits for its last event.
class ChatTurn {
public:
    virtual ~ChatTurn() = default;
    // Stops the turn soon: it ends with Done("cancelled") (or Error if it had failed already).
    virtual void cancel() = 0;
    // Blocks until the last event (Done or Error) has been delivered.
    virtual void wait() = 0;
};

class ChatBackend {
public:
    virtual ~ChatBackend() = default;
    // Starts a turn; an error here (bad request, policy refusal) means no event will come.
    virtual Result<std::unique_ptr<ChatTurn>> start(ChatBackendRequest request,
                                                    ChatEventSink sink) = 0;
    // The model's name as the backend reports it.
    virtual std::string modelName() const = 0;
};

// The names of the tools offered in `messages` (every message's toolSchemas).
std::vector<std::string> offeredToolNames(const std::vector<engine::ChatMessage>& messages);

}  // namespace atelier::agents
