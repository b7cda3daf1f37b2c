#pragma once
// The OpenAI-compatible wire format (chat completions, completions, models, errors): reading
// request bodies into backend requests, and writing responses, stream chunks and errors.
// Pure functions over strings, so the request parsing can be fuzzed on its own
// (tests/fuzz/fuzz_openai_request.cpp). Any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/agents/chat_backend.h"
#include "atelier/base/result.h"

namespace atelier::agents {

// A request error: the HTTP status and OpenAI's error `type` and `code`.
struct ApiError {
    int status = 400;
    std::string message;
    std::string type = "invalid_request_error";
    std::string code = "invalid_request";
};

// {"error":{"message":..,"type":..,"code":..}}
std::string apiErrorJson(const ApiError& error);
// The ApiError for an engine error (bad input 400, overflow 400 context_length_exceeded, ...).
ApiError apiErrorFor(const Error& error);

// The most choices one request may ask for (n, times the prompts on /v1/completions).
constexpr int kMaxChoices = 128;

struct ChatCompletionRequest {
    std::string model;  // empty: not given
    ChatBackendRequest chat;
    // Choices: turns of the same conversation; choice j samples with chat.sampling.seed + j.
    int n = 1;
    bool stream = false;
    bool includeUsage = false;  // stream_options.include_usage
};

// Reads a /v1/chat/completions body: messages (system, developer, user, assistant with
// tool_calls, tool with tool_call_id; content a string or a list of text parts), tools,
// tool_choice, parallel_tool_calls, response_format (text, json_object, json_schema), stream,
// stream_options.include_usage, max_tokens or max_completion_tokens (default: what the context
// has left), temperature, top_p, top_k, seed (default: random), stop, n, logprobs and
// top_logprobs (0..20), and the thinking switches `chat_template_kwargs.thinking` (bool) and
// `reasoning_effort` ("max" is Think Max). Errors name the field.
Result<ChatCompletionRequest> parseChatCompletionRequest(std::string_view body,
                                                         engine::ChatMode defaultMode);

// One prompt of a /v1/completions request: text, or token ids when `text` is empty.
struct CompletionPrompt {
    std::optional<std::string> text;
    std::vector<std::int32_t> ids;
};

struct CompletionRequest {
    std::string model;
    // At least one. Choice k of the response is prompt k / n's (k % n)-th completion.
    std::vector<CompletionPrompt> prompts;
    int n = 1;  // completions per prompt
    ChatSampling sampling;
    bool stream = false;
    bool includeUsage = false;  // stream_options.include_usage
};

// Reads a /v1/completions body: prompt (a string, a list of token ids, or a list of strings or
// of id lists: one choice set per prompt, what LangChain's OpenAI class sends), n (completions
// per prompt), max_tokens (default: what the context has left), temperature, top_p, top_k, seed
// (default: random), stop, stream, stream_options. More than kMaxChoices choices in
// all, best_of other than n, echo and logprobs are refused naming the field.
Result<CompletionRequest> parseCompletionRequest(std::string_view body);

// {"object":"list","data":[{"id":model,"object":"model","created":..,"owned_by":"atelier"}]}
std::string modelsJson(const std::string& model, std::int64_t created);
// One entry of that list (GET /v1/models/{id}).
std::string modelJson(const std::string& model, std::int64_t created);

// OpenAI's choice `logprobs` object: {"content": [{"token", "logprob", "bytes",
// "top_logprobs": [...]}], "refusal": null}, one entry per Token event (token text from
// `tokenizer`).
struct LoggedToken {
    std::int32_t token = -1;
    float logprob = 0;
    std::vector<TokenLogprob> top;
};
std::string logprobsJson(const std::vector<LoggedToken>& tokens, const engine::Tokenizer& tokenizer);

// A chat.completion (non-streaming) from the collected turn.
struct ChatCompletionResult {
    std::string reasoning;
    std::string content;
    std::vector<engine::ChatToolCall> toolCalls;
    ChatUsage usage;
    TurnFinish finish = TurnFinish::Stop;
    std::optional<std::string> logprobs;  // logprobsJson(), when asked
};
std::string chatCompletionJson(const std::string& id, const std::string& model,
                               std::int64_t created, const ChatCompletionResult& result);
// The same with one choice per result (index = position) and the request's `usage`.
std::string chatCompletionJson(const std::string& id, const std::string& model,
                               std::int64_t created, const std::vector<ChatCompletionResult>& choices,
                               const ChatUsage& usage);

// One `data:` payload of a chat.completion.chunk stream for one event (Done carries
// finish_reason, and usage unless `usage` is null). Empty for events that make no chunk
// (Usage, Error, Token). An empty ContentDelta makes the opening chunk, whose delta names the
// role. ToolCallDelta uses the event's own index; a whole ToolCall (from a backend that does
// not stream calls) `toolIndex`. `logprobs` (logprobsJson text): the choice's logprobs.
// `choice`: the choice's index.
std::string chatChunkJson(const std::string& id, const std::string& model, std::int64_t created,
                          const ChatEvent& event, std::size_t toolIndex, const ChatUsage* usage,
                          const std::string& logprobs = {}, std::size_t choice = 0);
// The last chunk of a stream with stream_options.include_usage: `choices: []` and the usage.
std::string usageChunkJson(const std::string& id, const std::string& object,
                           const std::string& model, std::int64_t created, const ChatUsage& usage);

// A text_completion (non-streaming) with one choice per entry (index = position), and one
// stream chunk of choice `index` (`finishReason` empty: null; `usage` only on the last chunk).
struct CompletionChoice {
    std::string text;
    std::string finishReason;
};
std::string completionJson(const std::string& id, const std::string& model, std::int64_t created,
                           const std::vector<CompletionChoice>& choices, const ChatUsage& usage);
std::string completionChunkJson(const std::string& id, const std::string& model,
                                std::int64_t created, std::size_t index, const std::string& text,
                                const std::string& finishReason, const ChatUsage* usage);

// The usage object: prompt, completion and total tokens, prompt_tokens_details.cached_tokens.
std::string usageJson(const ChatUsage& usage);

// An SSE event: "data: <payload>\n\n".
std::string sseData(std::string_view payload);

}  // namespace atelier::agents
