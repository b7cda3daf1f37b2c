#pragma once
// The turn API: one assistant turn from a conversation, wherever the model runs. Every caller
// that wants a turn goes through a ChatBackend: the window (EngineBridge), `generate` and `chat`,
// `serve` and the team runtime (BackendAgentModel, backend_agent_model.h). The local
// implementation (local_chat_backend.h) renders the chat format — markers only from the
// template, every piece of content tokenized with no added-token matching — runs the in-process
// GenerationService and parses the reply while it is generated; the remote one
// (remote_chat_backend.h) talks to an OpenAI-compatible server (vLLM, SGLang, llama.cpp's
// server, another Atelier). Both report one event type, ChatEvent.
// Events arrive on a thread of the backend (the scheduler thread, or the remote reader thread),
// in order; the last one is exactly one Done or Error. start() and TurnHandle's methods may be
// called from any thread; the sink must not call back into the turn's wait().

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/engine/chat_format.h"
#include "atelier/base/result.h"
#include "atelier/engine/token_constraint.h"
#include "atelier/engine/tokenizer.h"

namespace atelier::agents {

struct ChatSampling {
    float temperature = 1.0f;  // 0: greedy
    float topP = 1.0f;         // 1: off
    int topK = 0;              // 0: off (not in OpenAI's API; sent as an extension field)
    int maxTokens = 256;       // 0: to the context's end
    // None: a fresh random seed per turn on a local backend; not sent to a remote one.
    std::optional<std::uint64_t> seed = 0;
    std::vector<std::string> stop;  // stop strings
    // OpenAI's logprobs: -1 off; 0..20: each generated token's log-probability and this many
    // most likely alternatives (Token events carry them; local backends only).
    int logprobs = -1;
    float minP = 0.0f;  // 0: off; keeps tokens with p >= minP * p_max (local backends only)
};

// One token's log-probability under the distribution it was sampled from.
struct TokenLogprob {
    std::int32_t token = -1;
    float logprob = 0;
};

// OpenAI's tool_choice: "auto", "none" (tools are not offered), "required" or one function.
enum class ToolChoice { Auto, None, Required, Function };

// The decoding constraint of one turn on a local backend (e.g. the DSML grammar of the offered
// tools), made for that backend's tokenizer; null result: unconstrained.
using TurnConstraint =
    std::function<std::shared_ptr<engine::TokenConstraint>(const engine::Tokenizer& tokenizer)>;

struct ChatBackendRequest {
    // As parseChatMessages() reads them: the tools' `function` objects are the first message's
    // toolSchemas (JSON text).
    std::vector<engine::ChatMessage> messages;
    ToolChoice toolChoice = ToolChoice::Auto;
    std::string toolChoiceName;  // ToolChoice::Function only
    engine::ChatMode mode = engine::ChatMode::Chat;
    ChatSampling sampling;
    // Local backends: replaces the backend's own constraint factory for this turn. A remote
    // backend cannot constrain decoding and ignores it (tool_choice still reaches the server).
    TurnConstraint constraint;
    // OpenAI's parallel_tool_calls: false allows at most one call per turn (the local
    // constraint factory enforces it; a remote backend forwards it).
    bool parallelToolCalls = true;
    // OpenAI's response_format as the client sent it (JSON text, "" none; a remote backend
    // forwards it), and the JSON schema the local constraint factory holds the reply to
    // (json_object: {"type": "object"}; none: free text).
    std::string responseFormat;
    std::optional<std::string> responseSchema;
};

struct ChatUsage {
    std::int64_t promptTokens = 0;
    std::int64_t cachedTokens = 0;  // prompt tokens served from a prefix cache
    std::int64_t completionTokens = 0;
    double prefillTokPerS = 0;  // local backends only; 0: not known
    double decodeTokPerS = 0;
    // Completion tokens generated inside the reasoning (thinking modes; the token that ends it
    // included), OpenAI's completion_tokens_details.reasoning_tokens.
    std::int64_t reasoningTokens = 0;
};

// Why a turn ended. Names as OpenAI's finish_reason, except ContextFull ("context", sent to
// OpenAI clients as "length").
enum class TurnFinish {
    Stop,         // the model ended its turn (or a stop string ended it)
    ToolCalls,    // the model ended its turn after calling tools
    Length,       // the token limit (max_tokens) cut it
    ContextFull,  // the context window is full
    Cancelled,    // cancel() or a stop request
};
const char* turnFinishName(TurnFinish finish);  // "stop", "tool_calls", "length", "context", "cancelled"
// OpenAI's finish_reason for `finish` ("length" for ContextFull).
const char* openAiFinishReason(TurnFinish finish);
// Reads a finish_reason a server sent; anything unknown is Stop.
TurnFinish turnFinishFromName(std::string_view name);

// Where a turn that a limit ended had got to. None: it was not cut, or only after its end
// (e.g. after a closed tool-calls block, before the end-of-sentence token).
enum class TurnCut { None, Reasoning, Content, ToolCall };
const char* turnCutName(TurnCut cut);  // "none", "reasoning", "content", "tool_call"

enum class ChatEventKind {
    ReasoningDelta,  // text
    ContentDelta,    // text
    // A piece of a tool call while it is generated: toolIndex; on the call's first piece
    // toolCall.id and toolCall.name; text: more of the arguments JSON text. The pieces of one
    // call concatenate to the arguments of the ToolCall event that completes it.
    ToolCallDelta,
    ToolCall,        // toolCall: one complete call (id, name, arguments JSON text)
    Token,           // local backends: token (its id) and text (its raw bytes, markup included)
    Progress,        // local backends: prefill progress, progressDone of progressTotal tokens
    Usage,           // usage
    Done,            // finish, usage, cut, cutTool, formatError, text
    Error,           // error; nothing follows
};

struct ChatEvent {
    ChatEventKind kind = ChatEventKind::ContentDelta;
    std::string text;  // Done: the whole raw text of the turn (markup included; local backends)
    engine::ChatToolCall toolCall;
    std::size_t toolIndex = 0;  // ToolCall and ToolCallDelta: the call's index in the turn
    std::int32_t token = -1;    // Token
    // Token, when sampling.logprobs >= 0: the token's log-probability and the most likely
    // alternatives, most likely first.
    std::optional<float> logprob;
    std::vector<TokenLogprob> topLogprobs;
    std::int64_t progressDone = 0, progressTotal = 0;  // Progress
    ChatUsage usage;            // Usage and Done
    TurnFinish finish = TurnFinish::Stop;  // Done
    // Done, for Length and ContextFull: where the limit cut the turn, and the tool being
    // called when it was cut inside a call ("" if not yet named).
    TurnCut cut = TurnCut::None;
    std::string cutTool;
    // Done: the reply was not well-formed chat format (an untrained model; a turn cut inside
    // markup). From the point it failed, its text came as ContentDelta. "" when it was.
    std::string formatError;
    Error error;
};

using ChatEventSink = std::function<void(const ChatEvent&)>;

// A running turn. Destroying it cancels the turn and waits for its last event.
class TurnHandle {
public:
    virtual ~TurnHandle() = default;
    // Stops the turn soon: it ends with Done(Cancelled) (or Error if it had failed already).
    virtual void cancel() = 0;
    // Blocks until the last event (Done or Error) has been delivered.
    virtual void wait() = 0;
};

class ChatBackend {
public:
    virtual ~ChatBackend() = default;
    // Starts a turn; an error here (bad request, policy refusal) means no event will come.
    virtual Result<std::unique_ptr<TurnHandle>> start(ChatBackendRequest request,
                                                    ChatEventSink sink) = 0;
    // The model's name as the backend reports it.
    virtual std::string modelName() const = 0;
};

// The names of the tools offered in `messages` (every message's toolSchemas).
std::vector<std::string> offeredToolNames(const std::vector<engine::ChatMessage>& messages);

}  // namespace atelier::agents
