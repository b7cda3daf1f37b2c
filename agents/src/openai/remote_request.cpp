// The request side of RemoteChatBackend: URLs and the JSON body in OpenAI's shape.

#include <nlohmann/json.hpp>

#include "atelier/agents/remote_chat_backend.h"

namespace atelier::agents {
namespace {

using Json = nlohmann::ordered_json;

const char* roleName(engine::ChatRole role) {
    switch (role) {
    case engine::ChatRole::System: return "system";
    case engine::ChatRole::Developer: return "developer";
    case engine::ChatRole::User: return "user";
    case engine::ChatRole::Assistant: return "assistant";
    case engine::ChatRole::Tool: return "tool";
    case engine::ChatRole::LatestReminder: return "latest_reminder";
    }
    return "user";
}

Json messageJson(const engine::ChatMessage& m) {
    Json j{{"role", roleName(m.role)}};
    j["content"] = m.content ? Json(*m.content) : Json(nullptr);
    if (m.reasoningContent) j["reasoning_content"] = *m.reasoningContent;
    if (!m.toolCalls.empty()) {
        Json calls = Json::array();
        for (const auto& c : m.toolCalls)
            calls.push_back({{"id", c.id},
                             {"type", "function"},
                             {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
        j["tool_calls"] = calls;
    }
    if (m.role == engine::ChatRole::Tool) j["tool_call_id"] = m.toolCallId;
    if (m.task) j["task"] = *m.task;
    if (m.withoutEos) j["prefix"] = true;  // DeepSeek's name; Atelier also reads wo_eos
    return j;
}

Json toolChoiceJson(const ChatBackendRequest& r) {
    switch (r.toolChoice) {
    case ToolChoice::None: return "none";
    case ToolChoice::Required: return "required";
    case ToolChoice::Function:
        return {{"type", "function"}, {"function", {{"name", r.toolChoiceName}}}};
    default: return "auto";
    }
}

}  // namespace

Result<ParsedUrl> parseHttpUrl(const std::string& url) {
    ParsedUrl out;
    std::string rest;
    if (url.rfind("http://", 0) == 0) {
        out.scheme = "http";
        out.port = 80;
        rest = url.substr(7);
    } else if (url.rfind("https://", 0) == 0) {
        out.scheme = "https";
        out.port = 443;
        rest = url.substr(8);
    } else {
        return unexpected(Error::usage("remote URL \"" + url + "\" is not http:// or https://"));
    }
    const auto slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    out.basePath = slash == std::string::npos ? "" : rest.substr(slash);
    while (!out.basePath.empty() && out.basePath.back() == '/') out.basePath.pop_back();
    if (out.basePath.empty()) out.basePath = "/v1";
    if (authority.find('@') != std::string::npos)
        return unexpected(Error::usage("remote URL \"" + url + "\": credentials in the URL are "
                                       "not supported; use --api-key"));
    std::string portText;
    if (!authority.empty() && authority.front() == '[') {  // [v6]:port
        const auto close = authority.find(']');
        if (close == std::string::npos)
            return unexpected(Error::usage("remote URL \"" + url + "\": unclosed '['"));
        out.host = authority.substr(1, close - 1);
        if (close + 1 < authority.size() && authority[close + 1] == ':')
            portText = authority.substr(close + 2);
    } else {
        const auto colon = authority.rfind(':');
        out.host = authority.substr(0, colon);
        if (colon != std::string::npos) portText = authority.substr(colon + 1);
    }
    if (out.host.empty()) return unexpected(Error::usage("remote URL \"" + url + "\" has no host"));
    if (!portText.empty()) {
        if (portText.size() > 5 || portText.find_first_not_of("0123456789") != std::string::npos)
            return unexpected(Error::usage("remote URL \"" + url + "\": bad port"));
        out.port = std::stoi(portText);
        if (out.port <= 0 || out.port > 65535)
            return unexpected(Error::usage("remote URL \"" + url + "\": bad port"));
    }
    return out;
}

std::string RemoteChatBackend::requestJson(const ChatBackendRequest& r, const std::string& model,
                                           bool stream) {
    Json body = Json::object();
    if (!model.empty()) body["model"] = model;
    Json messages = Json::array();
    Json tools = Json::array();
    for (const auto& m : r.messages) {
        messages.push_back(messageJson(m));
        for (const auto& schema : m.toolSchemas)
            tools.push_back({{"type", "function"},
                             {"function", Json::parse(schema, nullptr, false)}});
    }
    body["messages"] = messages;
    if (!tools.empty()) {
        body["tools"] = tools;
        body["tool_choice"] = toolChoiceJson(r);
        if (!r.parallelToolCalls) body["parallel_tool_calls"] = false;
    }
    if (!r.responseFormat.empty()) {
        Json format = Json::parse(r.responseFormat, nullptr, false);
        if (!format.is_discarded()) body["response_format"] = std::move(format);
    }
    const auto& s = r.sampling;
    if (s.maxTokens > 0) body["max_tokens"] = s.maxTokens;
    body["temperature"] = s.temperature;
    body["top_p"] = s.topP;
    if (s.topK > 0) body["top_k"] = s.topK;
    if (s.seed) body["seed"] = static_cast<std::int64_t>(*s.seed);
    if (!s.stop.empty()) body["stop"] = s.stop;
    body["chat_template_kwargs"] = {{"thinking", r.mode != engine::ChatMode::Chat}};
    if (r.mode == engine::ChatMode::Max) body["reasoning_effort"] = "max";
    body["stream"] = stream;
    if (stream) body["stream_options"] = {{"include_usage", true}};
    return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace atelier::agents
