// Writing OpenAI responses, stream chunks and errors (openai_protocol.h). Text the model
// generated may hold invalid UTF-8 (a random-weight model, a cut at max_tokens); it is written
// with U+FFFD replacements instead of failing the response.

#include <nlohmann/json.hpp>

#include "atelier/agents/openai_protocol.h"
#include "atelier/base/utf8.h"

namespace atelier::agents {
namespace {

using Json = nlohmann::ordered_json;

std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json usageObject(const ChatUsage& u) {
    return {{"prompt_tokens", u.promptTokens},
            {"completion_tokens", u.completionTokens},
            {"total_tokens", u.promptTokens + u.completionTokens},
            {"prompt_tokens_details", {{"cached_tokens", u.cachedTokens}}},
            {"completion_tokens_details", {{"reasoning_tokens", u.reasoningTokens}}}};
}

Json toolCallObject(const engine::ChatToolCall& c) {
    return {{"id", c.id},
            {"type", "function"},
            {"function", {{"name", c.name}, {"arguments", c.arguments}}}};
}

Json chunkHead(const std::string& id, const std::string& model, std::int64_t created) {
    return {{"id", id}, {"object", "chat.completion.chunk"}, {"created", created},
            {"model", model}};
}

}  // namespace

std::string apiErrorJson(const ApiError& e) {
    return dump(Json{{"error", {{"message", e.message}, {"type", e.type}, {"code", e.code}}}});
}

ApiError apiErrorFor(const Error& error) {
    switch (error.code) {
    case ErrorCode::BadInput:
    case ErrorCode::Usage:
        return {400, error.message, "invalid_request_error", "invalid_request"};
    case ErrorCode::Overflow:
        return {400, error.message, "invalid_request_error", "context_length_exceeded"};
    case ErrorCode::NotFound:
        return {404, error.message, "invalid_request_error", "not_found"};
    case ErrorCode::Denied:
        return {403, error.message, "permission_error", "policy_denied"};
    default:
        return {500, error.message, "server_error", "internal_error"};
    }
}

namespace {
Json modelObject(const std::string& model, std::int64_t created) {
    return {{"id", model}, {"object", "model"}, {"created", created}, {"owned_by", "atelier"}};
}

Json tokenEntry(std::int32_t id, float logprob, const engine::Tokenizer& tokenizer) {
    const std::string_view raw = id >= 0 && id < tokenizer.vocabSize() ? tokenizer.tokenBytes(id)
                                                                       : std::string_view();
    Json bytes = Json::array();
    for (char c : raw) bytes.push_back(int(std::uint8_t(c)));
    // A token may hold part of a UTF-8 character: `token` is its text with U+FFFD for such
    // bytes, `bytes` the exact ones (as OpenAI's).
    return {{"token", base::validUtf8(raw)}, {"logprob", logprob}, {"bytes", bytes}};
}
}  // namespace

std::string modelsJson(const std::string& model, std::int64_t created) {
    return dump(Json{{"object", "list"}, {"data", Json::array({modelObject(model, created)})}});
}

std::string modelJson(const std::string& model, std::int64_t created) {
    return dump(modelObject(model, created));
}

std::string logprobsJson(const std::vector<LoggedToken>& tokens, const engine::Tokenizer& tokenizer) {
    Json content = Json::array();
    for (const auto& t : tokens) {
        Json entry = tokenEntry(t.token, t.logprob, tokenizer);
        Json top = Json::array();
        for (const auto& alt : t.top) top.push_back(tokenEntry(alt.token, alt.logprob, tokenizer));
        entry["top_logprobs"] = std::move(top);
        content.push_back(std::move(entry));
    }
    return dump(Json{{"content", content}, {"refusal", nullptr}});
}

std::string usageChunkJson(const std::string& id, const std::string& object,
                           const std::string& model, std::int64_t created, const ChatUsage& usage) {
    return dump(Json{{"id", id}, {"object", object}, {"created", created}, {"model", model},
                     {"choices", Json::array()}, {"usage", usageObject(usage)}});
}

std::string usageJson(const ChatUsage& usage) { return dump(usageObject(usage)); }

std::string chatCompletionJson(const std::string& id, const std::string& model,
                               std::int64_t created, const std::vector<ChatCompletionResult>& results,
                               const ChatUsage& usage) {
    Json choices = Json::array();
    for (const auto& r : results) {
        Json message{{"role", "assistant"}, {"content", r.content}};
        if (!r.reasoning.empty()) message["reasoning_content"] = r.reasoning;
        if (!r.toolCalls.empty()) {
            Json calls = Json::array();
            for (const auto& c : r.toolCalls) calls.push_back(toolCallObject(c));
            message["tool_calls"] = calls;
        }
        Json choice{{"index", choices.size()}, {"message", message},
                    {"finish_reason", openAiFinishReason(r.finish)}};
        choice["logprobs"] = r.logprobs ? Json::parse(*r.logprobs) : Json(nullptr);
        choices.push_back(std::move(choice));
    }
    return dump(Json{{"id", id},
                     {"object", "chat.completion"},
                     {"created", created},
                     {"model", model},
                     {"choices", choices},
                     {"usage", usageObject(usage)}});
}

std::string chatCompletionJson(const std::string& id, const std::string& model,
                               std::int64_t created, const ChatCompletionResult& r) {
    return chatCompletionJson(id, model, created, std::vector<ChatCompletionResult>{r}, r.usage);
}

std::string chatChunkJson(const std::string& id, const std::string& model, std::int64_t created,
                          const ChatEvent& event, std::size_t toolIndex, const ChatUsage* usage,
                          const std::string& logprobs, std::size_t choiceIndex) {
    Json delta = Json::object();
    Json finish = nullptr;
    switch (event.kind) {
    case ChatEventKind::ReasoningDelta: delta["reasoning_content"] = event.text; break;
    case ChatEventKind::ContentDelta:
        if (event.text.empty()) delta["role"] = "assistant";  // the opening chunk
        delta["content"] = event.text;
        break;
    case ChatEventKind::ToolCall: {
        Json call = toolCallObject(event.toolCall);
        call["index"] = toolIndex;
        delta["tool_calls"] = Json::array({call});
        break;
    }
    case ChatEventKind::ToolCallDelta: {
        // OpenAI's shape: the first piece carries id, type and name; later ones only
        // arguments, which the client concatenates per index.
        Json call{{"index", event.toolIndex}};
        if (!event.toolCall.id.empty()) {
            call["id"] = event.toolCall.id;
            call["type"] = "function";
            call["function"] = {{"name", event.toolCall.name}, {"arguments", event.text}};
        } else {
            call["function"] = {{"arguments", event.text}};
        }
        delta["tool_calls"] = Json::array({call});
        break;
    }
    case ChatEventKind::Done: finish = openAiFinishReason(event.finish); break;
    default: return {};
    }
    Json chunk = chunkHead(id, model, created);
    Json choice{{"index", choiceIndex}, {"delta", delta}, {"finish_reason", finish}};
    if (!logprobs.empty()) choice["logprobs"] = Json::parse(logprobs);
    chunk["choices"] = Json::array({choice});
    if (event.kind == ChatEventKind::Done && usage) chunk["usage"] = usageObject(*usage);
    return dump(chunk);
}

std::string completionJson(const std::string& id, const std::string& model, std::int64_t created,
                           const std::vector<CompletionChoice>& choices, const ChatUsage& usage) {
    Json list = Json::array();
    for (std::size_t i = 0; i < choices.size(); ++i)
        list.push_back(Json{{"index", i}, {"text", choices[i].text}, {"logprobs", nullptr},
                            {"finish_reason", choices[i].finishReason}});
    return dump(Json{{"id", id},
                     {"object", "text_completion"},
                     {"created", created},
                     {"model", model},
                     {"choices", list},
                     {"usage", usageObject(usage)}});
}

std::string completionChunkJson(const std::string& id, const std::string& model,
                                std::int64_t created, std::size_t index, const std::string& text,
                                const std::string& finishReason, const ChatUsage* usage) {
    Json choice{{"index", index}, {"text", text}, {"logprobs", nullptr},
                {"finish_reason", finishReason.empty() ? Json(nullptr) : Json(finishReason)}};
    Json chunk{{"id", id}, {"object", "text_completion"}, {"created", created}, {"model", model},
               {"choices", Json::array({choice})}};
    if (usage) chunk["usage"] = usageObject(*usage);
    return dump(chunk);
}

std::string sseData(std::string_view payload) {
    std::string s;
    s.reserve(payload.size() + 8);
    s += "data: ";
    s += payload;
    s += "\n\n";
    return s;
}

}  // namespace atelier::agents
