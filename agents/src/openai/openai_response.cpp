// Writing OpenAI responses, stream chunks and errors (openai_protocol.h). Text the model
// generated may hold invalid UTF-8 (a random-weight model, a cut at max_tokens); it is written
// with U+FFFD replacements instead of failing the response.

#include <nlohmann/json.hpp>

#include "atelier/agents/openai_protocol.h"

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
            {"prompt_tokens_details", {{"cached_tokens", u.cachedTokens}}}};
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

std::string modelsJson(const std::string& model, std::int64_t created) {
    Json entry{{"id", model}, {"object", "model"}, {"created", created}, {"owned_by", "atelier"}};
    return dump(Json{{"object", "list"}, {"data", Json::array({entry})}});
}

std::string usageJson(const ChatUsage& usage) { return dump(usageObject(usage)); }

std::string chatCompletionJson(const std::string& id, const std::string& model,
                               std::int64_t created, const ChatCompletionResult& r) {
    Json message{{"role", "assistant"}, {"content", r.content}};
    if (!r.reasoning.empty()) message["reasoning_content"] = r.reasoning;
    if (!r.toolCalls.empty()) {
        Json calls = Json::array();
        for (const auto& c : r.toolCalls) calls.push_back(toolCallObject(c));
        message["tool_calls"] = calls;
    }
    Json choice{{"index", 0}, {"message", message}, {"finish_reason", openAiFinishReason(r.finish)}};
    return dump(Json{{"id", id},
                     {"object", "chat.completion"},
                     {"created", created},
                     {"model", model},
                     {"choices", Json::array({choice})},
                     {"usage", usageObject(r.usage)}});
}

std::string chatChunkJson(const std::string& id, const std::string& model, std::int64_t created,
                          const ChatEvent& event, std::size_t toolIndex, const ChatUsage& usage) {
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
    chunk["choices"] = Json::array({Json{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}});
    if (event.kind == ChatEventKind::Done) chunk["usage"] = usageObject(usage);
    return dump(chunk);
}

std::string completionJson(const std::string& id, const std::string& model, std::int64_t created,
                           const std::string& text, const std::string& finishReason,
                           const ChatUsage& usage) {
    Json choice{{"index", 0}, {"text", text}, {"logprobs", nullptr},
                {"finish_reason", finishReason}};
    return dump(Json{{"id", id},
                     {"object", "text_completion"},
                     {"created", created},
                     {"model", model},
                     {"choices", Json::array({choice})},
                     {"usage", usageObject(usage)}});
}

std::string completionChunkJson(const std::string& id, const std::string& model,
                                std::int64_t created, const std::string& text,
                                const std::string& finishReason, const ChatUsage* usage) {
    Json choice{{"index", 0}, {"text", text}, {"logprobs", nullptr},
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
