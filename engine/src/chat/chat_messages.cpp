// Reading OpenAI-style messages (JSON) into ChatMessage. nlohmann throws; every call that can
// throw stays inside this adapter.

#include <array>
#include <string>

#include <nlohmann/json.hpp>

#include "atelier/engine/chat_format.h"
#include "chat/python_json.h"

namespace atelier::engine {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::array<std::string_view, 6> kTaskNames = {"action", "query",     "authority",
                                                         "domain", "title",    "read_url"};

Error fieldError(std::size_t index, const std::string& what) {
    return Error::badInput("message " + std::to_string(index) + ": " + what);
}

// A string field that may be absent or null.
Result<std::optional<std::string>> optionalString(const Json& msg, const char* key,
                                                  std::size_t index) {
    auto it = msg.find(key);
    if (it == msg.end() || it->is_null()) return std::optional<std::string>{};
    if (!it->is_string())
        return unexpected(fieldError(index, std::string(key) + " is not a string"));
    return std::optional<std::string>{it->get<std::string>()};
}

// `content`: absent, null, a string, or OpenAI's list of parts, of which only text parts
// (`{"type": "text", "text": ...}`) are read; their texts are joined with "\n". Any other
// part (an image, audio, a file) is refused, naming its index and type.
Result<std::optional<std::string>> readContent(const Json& msg, std::size_t index) {
    auto it = msg.find("content");
    if (it == msg.end() || !it->is_array()) return optionalString(msg, "content", index);
    if (it->empty()) return unexpected(fieldError(index, "content is an empty list of parts"));
    std::string text;
    for (std::size_t k = 0; k < it->size(); ++k) {
        const Json& part = (*it)[k];
        const std::string where = "content[" + std::to_string(k) + "]";
        auto type = part.is_object() ? part.find("type") : part.end();
        if (!part.is_object() || type == part.end() || !type->is_string())
            return unexpected(fieldError(index, where + " is not a {\"type\": ..} part"));
        if (*type != "text")
            return unexpected(fieldError(index, where + " is a \"" + type->get<std::string>() +
                                                    "\" part; only text parts are supported"));
        auto t = part.find("text");
        if (t == part.end() || !t->is_string())
            return unexpected(fieldError(index, where + ".text is missing or not a string"));
        if (k > 0) text += '\n';
        text += t->get<std::string>();
    }
    return std::optional<std::string>{std::move(text)};
}

Result<std::vector<std::string>> readTools(const Json& tools, const std::string& where) {
    if (!tools.is_array()) return unexpected(Error::badInput(where + " is not a list"));
    std::vector<std::string> schemas;
    for (std::size_t i = 0; i < tools.size(); ++i) {
        const Json& tool = tools[i];
        auto fn = tool.is_object() ? tool.find("function") : tool.end();
        if (!tool.is_object() || fn == tool.end() || !fn->is_object())
            return unexpected(Error::badInput(where + "[" + std::to_string(i) +
                                              "].function is missing or not an object"));
        schemas.push_back(chat::pythonJsonDump(*fn));
    }
    return schemas;
}

Result<ChatToolCall> readToolCall(const Json& call, std::size_t index, std::size_t k) {
    const std::string where = "tool_calls[" + std::to_string(k) + "]";
    if (!call.is_object()) return unexpected(fieldError(index, where + " is not an object"));
    ChatToolCall out;
    if (auto id = call.find("id"); id != call.end() && !id->is_null()) {
        if (!id->is_string()) return unexpected(fieldError(index, where + ".id is not a string"));
        out.id = id->get<std::string>();
    }
    auto fn = call.find("function");
    if (fn == call.end() || !fn->is_object())
        return unexpected(fieldError(index, where + ".function is missing or not an object"));
    auto name = fn->find("name");
    if (name == fn->end() || !name->is_string())
        return unexpected(fieldError(index, where + ".function.name is missing or not a string"));
    out.name = name->get<std::string>();
    auto args = fn->find("arguments");
    if (args == fn->end() || !args->is_string())
        return unexpected(
            fieldError(index, where + ".function.arguments is missing or not a JSON string"));
    out.arguments = args->get<std::string>();
    // The encoder renders each argument as one DSML parameter. Text that is not JSON passes
    // through as one string parameter named "arguments", as encoding_dsv4.py does (its
    // json.loads fallback); JSON that is not an object makes that encoder fail (it calls
    // .items() on it), so it is refused here with a reason.
    if (!chat::toolCallParameters(out.arguments))
        return unexpected(fieldError(index, where + ".function.arguments is JSON but not a JSON "
                                                    "object"));
    return out;
}

Result<ChatMessage> readMessage(const Json& msg, std::size_t index) {
    if (!msg.is_object()) return unexpected(fieldError(index, "is not an object"));
    auto roleIt = msg.find("role");
    if (roleIt == msg.end() || !roleIt->is_string())
        return unexpected(fieldError(index, "role is missing or not a string"));
    auto role = chatRoleFromName(roleIt->get<std::string>());
    if (!role)
        return unexpected(fieldError(index, "unknown role \"" + roleIt->get<std::string>() + "\""));
    ChatMessage out;
    out.role = *role;
    auto content = readContent(msg, index);
    if (!content) return unexpected(content.error());
    out.content = *content;
    auto reasoning = optionalString(msg, "reasoning_content", index);
    if (!reasoning) return unexpected(reasoning.error());
    out.reasoningContent = *reasoning;
    auto callId = optionalString(msg, "tool_call_id", index);
    if (!callId) return unexpected(callId.error());
    out.toolCallId = callId->value_or("");
    auto task = optionalString(msg, "task", index);
    if (!task) return unexpected(task.error());
    if (*task && !isChatTask(**task))
        return unexpected(fieldError(index, "unknown task \"" + **task +
                                                "\" (action, query, authority, domain, title, "
                                                "read_url)"));
    out.task = *task;
    for (const char* key : {"wo_eos", "prefix"}) {
        auto flag = msg.find(key);
        if (flag == msg.end() || flag->is_null()) continue;
        if (!flag->is_boolean()) return unexpected(fieldError(index, std::string(key) + " is not a boolean"));
        out.withoutEos = out.withoutEos || flag->get<bool>();
    }
    if (out.withoutEos && out.role != ChatRole::Assistant)
        return unexpected(fieldError(index, "wo_eos/prefix is only for assistant messages"));
    if (auto calls = msg.find("tool_calls"); calls != msg.end() && !calls->is_null()) {
        if (!calls->is_array()) return unexpected(fieldError(index, "tool_calls is not a list"));
        for (std::size_t k = 0; k < calls->size(); ++k) {
            auto call = readToolCall((*calls)[k], index, k);
            if (!call) return unexpected(call.error());
            out.toolCalls.push_back(std::move(*call));
        }
    }
    if (auto tools = msg.find("tools"); tools != msg.end() && !tools->is_null()) {
        auto schemas = readTools(*tools, "message " + std::to_string(index) + ": tools");
        if (!schemas) return unexpected(schemas.error());
        out.toolSchemas = std::move(*schemas);
    }
    if (auto rf = msg.find("response_format"); rf != msg.end() && !rf->is_null()) {
        // Python truthiness: an empty object or list renders nothing.
        if (!(rf->is_object() || rf->is_array()) || !rf->empty())
            out.responseFormat = chat::pythonJsonDump(*rf);
    }
    return out;
}

Result<std::vector<ChatMessage>> readConversation(const Json& root) {
    const Json* list = &root;
    std::vector<std::string> topTools;
    if (root.is_object()) {
        auto it = root.find("messages");
        if (it == root.end() || !it->is_array())
            return unexpected(Error::badInput("input: \"messages\" is missing or not a list"));
        list = &*it;
        if (auto tools = root.find("tools"); tools != root.end() && !tools->is_null()) {
            auto schemas = readTools(*tools, "input: tools");
            if (!schemas) return unexpected(schemas.error());
            topTools = std::move(*schemas);
        }
    } else if (!root.is_array()) {
        return unexpected(Error::badInput("input: expected a list of messages or an object "
                                          "with \"messages\""));
    }
    std::vector<ChatMessage> messages;
    for (std::size_t i = 0; i < list->size(); ++i) {
        auto msg = readMessage((*list)[i], i);
        if (!msg) return unexpected(msg.error());
        messages.push_back(std::move(*msg));
    }
    if (!topTools.empty()) {
        // Not pinned by the vectors: tools in both places would be ambiguous, so refuse.
        if (messages.empty())
            return unexpected(Error::badInput("input: top-level tools but no messages"));
        if (!messages.front().toolSchemas.empty())
            return unexpected(Error::badInput("input: tools given both at the top level and "
                                              "on message 0"));
        messages.front().toolSchemas = std::move(topTools);
    }
    return messages;
}

Result<std::vector<std::string>> readToolNames(const Json& root) {
    const Json* list = &root;
    if (root.is_object()) {
        auto it = root.find("tools");
        if (it == root.end()) return unexpected(Error::badInput("tools: no \"tools\" list"));
        list = &*it;
    }
    if (!list->is_array()) return unexpected(Error::badInput("tools: not a list"));
    std::vector<std::string> names;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const Json& tool = (*list)[i];
        const Json* fn = tool.is_object() && tool.contains("function") ? &tool["function"] : nullptr;
        if (!fn || !fn->is_object() || !fn->contains("name") || !(*fn)["name"].is_string())
            return unexpected(Error::badInput("tools[" + std::to_string(i) +
                                              "].function.name is missing or not a string"));
        names.push_back((*fn)["name"].get<std::string>());
    }
    return names;
}

}  // namespace

Result<std::vector<std::string>> parseToolNames(std::string_view jsonText) {
    try {
        return readToolNames(Json::parse(jsonText.begin(), jsonText.end()));
    } catch (const nlohmann::json::exception& e) {
        return unexpected(Error::badInput(std::string("tools are not valid JSON: ") + e.what()));
    }
}

std::optional<ChatMode> chatModeFromName(std::string_view name) {
    if (name == "chat") return ChatMode::Chat;
    if (name == "thinking") return ChatMode::Thinking;
    if (name == "max") return ChatMode::Max;
    return std::nullopt;
}

bool isChatTask(std::string_view task) {
    for (auto name : kTaskNames)
        if (name == task) return true;
    return false;
}

Result<std::vector<ChatMessage>> parseChatMessages(std::string_view jsonText) {
    try {
        Json root = Json::parse(jsonText.begin(), jsonText.end());
        return readConversation(root);
    } catch (const nlohmann::json::exception& e) {
        return unexpected(Error::badInput(std::string("input is not valid JSON: ") + e.what()));
    }
}

const char* chatRoleName(ChatRole role) {
    switch (role) {
    case ChatRole::System: return "system";
    case ChatRole::Developer: return "developer";
    case ChatRole::User: return "user";
    case ChatRole::Assistant: return "assistant";
    case ChatRole::Tool: return "tool";
    case ChatRole::LatestReminder: return "latest_reminder";
    }
    return "user";
}

std::optional<ChatRole> chatRoleFromName(std::string_view name) {
    for (auto r : {ChatRole::System, ChatRole::Developer, ChatRole::User, ChatRole::Assistant,
                   ChatRole::Tool, ChatRole::LatestReminder})
        if (name == chatRoleName(r)) return r;
    return std::nullopt;
}

}  // namespace atelier::engine
