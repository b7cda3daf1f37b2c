// Reading OpenAI request bodies (openai_protocol.h). nlohmann throws; every call that can throw
// stays inside this adapter. Errors name the field.

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "atelier/agents/openai_protocol.h"
#include "atelier/engine/json_constraint.h"

namespace atelier::agents {
namespace {

using Json = nlohmann::ordered_json;

Error fieldError(const std::string& field, const std::string& what) {
    return Error::badInput(field + " " + what);
}

// How deep a body may nest arrays and objects. The tree is copied, serialized and destroyed
// by recursive code further on (and a deep enough one overflows the stack), so depth is
// checked on the text before anything is built from it.
constexpr int kMaxDepth = 128;

// Whether the JSON text nests no deeper than kMaxDepth (brackets inside strings do not count;
// whether the text is valid JSON is the parser's concern).
bool depthWithin(std::string_view text) {
    int depth = 0;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\') ++i;
            else if (c == '"') inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxDepth) return false;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return true;
}

Result<Json> parseObject(std::string_view body) {
    if (!depthWithin(body))
        return unexpected(Error::badInput("the body nests arrays or objects deeper than " +
                                          std::to_string(kMaxDepth) + " levels"));
    Json root = Json::parse(body, nullptr, false);
    if (root.is_discarded()) return unexpected(Error::badInput("the body is not valid JSON"));
    if (!root.is_object()) return unexpected(Error::badInput("the body is not a JSON object"));
    return root;
}

const Json* field(const Json& root, const char* key) {
    auto it = root.find(key);
    return it == root.end() || it->is_null() ? nullptr : &*it;
}

Result<void> readNumber(const Json& root, const char* key, double lo, double hi, float& out) {
    const Json* v = field(root, key);
    if (!v) return {};
    if (!v->is_number()) return fieldError(key, "is not a number");
    const double d = v->get<double>();
    if (!(d >= lo && d <= hi))
        return fieldError(key, "must be between " + std::to_string(lo) + " and " +
                                   std::to_string(hi));
    out = static_cast<float>(d);
    return {};
}

Result<void> readInt(const Json& root, const char* key, std::int64_t lo, std::int64_t hi,
                     std::int64_t& out) {
    const Json* v = field(root, key);
    if (!v) return {};
    if (!v->is_number_integer()) return fieldError(key, "is not an integer");
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > std::uint64_t(hi))
        return fieldError(key, "is too large");
    const auto i = v->get<std::int64_t>();
    if (i < lo || i > hi) return fieldError(key, "is out of range");
    out = i;
    return {};
}

Result<void> readBool(const Json& root, const char* key, bool& out) {
    const Json* v = field(root, key);
    if (!v) return {};
    if (!v->is_boolean()) return fieldError(key, "is not a boolean");
    out = v->get<bool>();
    return {};
}

Result<void> readModel(const Json& root, std::string& out) {
    const Json* v = field(root, "model");
    if (!v) return {};
    if (!v->is_string()) return fieldError("model", "is not a string");
    out = v->get<std::string>();
    return {};
}

// The sampling fields shared by both endpoints.
Result<ChatSampling> readSampling(const Json& root) {
    ChatSampling s;
    s.maxTokens = 0;  // as OpenAI's: what the context has left
    s.seed.reset();   // as OpenAI's: a random seed
    if (auto r = readNumber(root, "temperature", 0.0, 2.0, s.temperature); !r) return r.error();
    if (auto r = readNumber(root, "top_p", 0.0, 1.0, s.topP); !r) return r.error();
    if (s.topP <= 0.0f) return unexpected(fieldError("top_p", "must be above 0"));
    std::int64_t topK = 0, seed = 0;
    std::int64_t maxTokens = s.maxTokens;
    constexpr auto kIntMax = std::numeric_limits<int>::max();
    if (auto r = readInt(root, "top_k", 0, kIntMax, topK); !r) return r.error();
    if (auto r = readInt(root, "max_tokens", 0, kIntMax, maxTokens); !r) return r.error();
    if (auto r = readInt(root, "max_completion_tokens", 0, kIntMax, maxTokens); !r)
        return r.error();
    if (auto r = readInt(root, "seed", std::numeric_limits<std::int64_t>::min(),
                         std::numeric_limits<std::int64_t>::max(), seed);
        !r)
        return r.error();
    s.topK = int(topK);
    s.maxTokens = int(maxTokens);
    if (field(root, "seed")) s.seed = static_cast<std::uint64_t>(seed);
    if (const Json* stop = field(root, "stop")) {
        if (stop->is_string()) {
            s.stop.push_back(stop->get<std::string>());
        } else if (stop->is_array() && stop->size() <= 4) {
            for (const auto& x : *stop) {
                if (!x.is_string()) return unexpected(fieldError("stop", "has a non-string"));
                s.stop.push_back(x.get<std::string>());
            }
        } else {
            return unexpected(fieldError("stop", "is not a string or a list of up to 4"));
        }
        for (const auto& x : s.stop)
            if (x.empty()) return unexpected(fieldError("stop", "has an empty string"));
    }
    return s;
}

// `n`, the choices per prompt: 1 up to `most`.
Result<int> readN(const Json& root, int most, const std::string& why) {
    std::int64_t n = 1;
    if (auto r = readInt(root, "n", 1, std::numeric_limits<int>::max(), n); !r) return r.error();
    if (n > most) return unexpected(fieldError("n", "is " + std::to_string(n) + ": " + why));
    return int(n);
}

Result<void> readToolChoice(const Json& root, ChatBackendRequest& chat) {
    const Json* v = field(root, "tool_choice");
    if (!v) return {};
    if (v->is_string()) {
        const auto s = v->get<std::string>();
        if (s == "auto") chat.toolChoice = ToolChoice::Auto;
        else if (s == "none") chat.toolChoice = ToolChoice::None;
        else if (s == "required") chat.toolChoice = ToolChoice::Required;
        else return fieldError("tool_choice", "must be auto, none, required or a function");
        return {};
    }
    const Json* fn = v->is_object() ? field(*v, "function") : nullptr;
    const Json* name = fn && fn->is_object() ? field(*fn, "name") : nullptr;
    if (!name || !name->is_string())
        return fieldError("tool_choice", "is not {\"type\":\"function\",\"function\":{\"name\":..}}");
    chat.toolChoice = ToolChoice::Function;
    chat.toolChoiceName = name->get<std::string>();
    return {};
}

// logprobs (bool) and top_logprobs (0..20, only with logprobs: true), as OpenAI's.
Result<void> readLogprobs(const Json& root, ChatSampling& s) {
    bool logprobs = false;
    if (auto r = readBool(root, "logprobs", logprobs); !r) return r;
    std::int64_t top = -1;
    if (auto r = readInt(root, "top_logprobs", 0, 20, top); !r)
        return fieldError("top_logprobs", "must be an integer from 0 to 20");
    if (top >= 0 && !logprobs) return fieldError("top_logprobs", "needs \"logprobs\": true");
    if (logprobs) s.logprobs = int(std::max<std::int64_t>(top, 0));
    return {};
}

Result<void> readStreamOptions(const Json& root, bool& includeUsage) {
    const Json* o = field(root, "stream_options");
    if (!o) return {};
    if (!o->is_object()) return fieldError("stream_options", "is not an object");
    if (auto r = readBool(*o, "include_usage", includeUsage); !r)
        return fieldError("stream_options.include_usage", "is not a boolean");
    return {};
}

// response_format: {"type": "text"}, {"type": "json_object"} or {"type": "json_schema",
// "json_schema": {"name": .., "schema": {..}, "strict": ..}}. The JSON types set the schema the
// reply is held to (checked here, so a schema the constraint cannot compile is a 400).
Result<void> readResponseFormat(const Json& root, ChatBackendRequest& chat) {
    const Json* f = field(root, "response_format");
    if (!f) return {};
    const Json* type = f->is_object() ? field(*f, "type") : nullptr;
    if (!type || !type->is_string())
        return fieldError("response_format", "is not {\"type\": \"text\"|\"json_object\"|\"json_schema\", ..}");
    const std::string t = type->get<std::string>();
    if (t == "text") return {};
    if (t == "json_object") {
        chat.responseSchema = R"({"type": "object"})";
    } else if (t == "json_schema") {
        const Json* js = field(*f, "json_schema");
        if (!js || !js->is_object())
            return fieldError("response_format.json_schema", "is missing or not an object");
        const Json* schema = field(*js, "schema");
        if (schema && !schema->is_object() && !schema->is_boolean())
            return fieldError("response_format.json_schema.schema", "is not a JSON schema object");
        chat.responseSchema = schema ? schema->dump() : std::string("{}");
        if (auto ok = engine::checkJsonSchema(*chat.responseSchema); !ok)
            return fieldError("response_format.json_schema.schema:", ok.error().message);
    } else {
        return fieldError("response_format.type", "\"" + t + "\" is not text, json_object or json_schema");
    }
    chat.responseFormat = f->dump();
    return {};
}

Result<void> readMode(const Json& root, ChatBackendRequest& chat) {
    if (const Json* kw = field(root, "chat_template_kwargs")) {
        if (!kw->is_object()) return fieldError("chat_template_kwargs", "is not an object");
        bool thinking = chat.mode != engine::ChatMode::Chat;
        if (auto r = readBool(*kw, "thinking", thinking); !r)
            return fieldError("chat_template_kwargs.thinking", "is not a boolean");
        chat.mode = thinking ? engine::ChatMode::Thinking : engine::ChatMode::Chat;
    }
    if (const Json* effort = field(root, "reasoning_effort")) {
        if (!effort->is_string()) return fieldError("reasoning_effort", "is not a string");
        if (effort->get<std::string>() == "max") chat.mode = engine::ChatMode::Max;
        else if (chat.mode == engine::ChatMode::Chat) chat.mode = engine::ChatMode::Thinking;
    }
    return {};
}

// Takes `messages` and `tools` out of `root` (moved, not copied).
Result<ChatCompletionRequest> readChat(Json& root, engine::ChatMode defaultMode) {
    ChatCompletionRequest out;
    out.chat.mode = defaultMode;
    if (auto r = readModel(root, out.model); !r) return r.error();
    const Json* messages = field(root, "messages");
    if (!messages || !messages->is_array() || messages->empty())
        return unexpected(fieldError("messages", "is missing or not a non-empty list"));
    Json conversation = Json::object();
    conversation["messages"] = std::move(root["messages"]);
    if (const Json* tools = field(root, "tools"); tools && !tools->empty()) {
        // DeepSeek V4 renders tool schemas with the system prompt: give them one when the
        // client sent none (an empty system message adds no text of its own).
        Json& list = conversation["messages"];
        const Json& first = list.front();
        if (!first.is_object() || first.value("role", std::string()) != "system")
            list.insert(list.begin(), Json{{"role", "system"}, {"content", ""}});
        conversation["tools"] = std::move(root["tools"]);
    }
    // A JSON response_format is told to the model the official way: on the system message,
    // which the template renders as a "## Response Format" section.
    if (const Json* rf = field(root, "response_format");
        rf && rf->is_object() && rf->value("type", std::string()) != "text") {
        Json& list = conversation["messages"];
        const Json& first = list.front();
        if (!first.is_object() || first.value("role", std::string()) != "system")
            list.insert(list.begin(), Json{{"role", "system"}, {"content", ""}});
        if (!list.front().contains("response_format")) list.front()["response_format"] = *rf;
    }
    auto parsed = engine::parseChatMessages(conversation.dump());
    if (!parsed) return unexpected(parsed.error());
    out.chat.messages = std::move(*parsed);
    auto sampling = readSampling(root);
    if (!sampling) return unexpected(sampling.error());
    out.chat.sampling = std::move(*sampling);
    auto n = readN(root, kMaxChoices, "at most " + std::to_string(kMaxChoices) + " choices are served in one request");
    if (!n) return unexpected(n.error());
    out.n = *n;
    if (auto r = readToolChoice(root, out.chat); !r) return r.error();
    if (auto r = readMode(root, out.chat); !r) return r.error();
    if (auto r = readBool(root, "stream", out.stream); !r) return r.error();
    if (auto r = readStreamOptions(root, out.includeUsage); !r) return r.error();
    if (auto r = readLogprobs(root, out.chat.sampling); !r) return r.error();
    if (auto r = readBool(root, "parallel_tool_calls", out.chat.parallelToolCalls); !r)
        return r.error();
    if (auto r = readResponseFormat(root, out.chat); !r) return r.error();
    if (out.chat.toolChoice == ToolChoice::Function) {
        const auto names = offeredToolNames(out.chat.messages);
        if (std::find(names.begin(), names.end(), out.chat.toolChoiceName) == names.end())
            return unexpected(fieldError("tool_choice", "names a function not in tools: \"" +
                                                            out.chat.toolChoiceName + "\""));
    }
    return out;
}

// One prompt: a non-empty string or a non-empty list of token ids.
Result<CompletionPrompt> readPrompt(const Json& prompt, const std::string& name) {
    CompletionPrompt out;
    if (prompt.is_string()) {
        out.text = prompt.get<std::string>();
        if (out.text->empty()) return unexpected(fieldError(name, "is empty"));
        return out;
    }
    if (!prompt.is_array() || prompt.empty())
        return unexpected(fieldError(name, "is not a string or a non-empty list of ids"));
    for (const auto& id : prompt) {
        if (!id.is_number_integer() || id.get<std::int64_t>() < 0 ||
            id.get<std::int64_t>() > std::numeric_limits<std::int32_t>::max())
            return unexpected(fieldError(name, "is a list with a non-token-id item"));
        out.ids.push_back(static_cast<std::int32_t>(id.get<std::int64_t>()));
    }
    return out;
}

Result<CompletionRequest> readCompletion(const Json& root) {
    CompletionRequest out;
    if (auto r = readModel(root, out.model); !r) return r.error();
    const Json* prompt = field(root, "prompt");
    if (!prompt) return unexpected(fieldError("prompt", "is missing"));
    // A list of strings or of id lists is one prompt each (LangChain's OpenAI class sends its
    // prompts so, up to 20 in one request); a list of numbers is one prompt of token ids.
    if (prompt->is_array() && !prompt->empty() && (prompt->front().is_string() || prompt->front().is_array())) {
        for (std::size_t i = 0; i < prompt->size(); ++i) {
            auto one = readPrompt((*prompt)[i], "prompt[" + std::to_string(i) + "]");
            if (!one) return unexpected(one.error());
            out.prompts.push_back(std::move(*one));
        }
    } else {
        auto one = readPrompt(*prompt, "prompt");
        if (!one) return unexpected(one.error());
        out.prompts.push_back(std::move(*one));
    }
    if (out.prompts.size() > std::size_t(kMaxChoices))
        return unexpected(fieldError("prompt", "is a list of " + std::to_string(out.prompts.size()) +
                                                   " prompts: at most " + std::to_string(kMaxChoices) +
                                                   " are served in one request"));
    const int most = kMaxChoices / int(out.prompts.size());
    auto n = readN(root, most, "with " + std::to_string(out.prompts.size()) + " prompt(s), at most " +
                                   std::to_string(kMaxChoices) + " choices are served in one request");
    if (!n) return unexpected(n.error());
    out.n = *n;
    auto sampling = readSampling(root);
    if (!sampling) return unexpected(sampling.error());
    out.sampling = std::move(*sampling);
    if (auto r = readBool(root, "stream", out.stream); !r) return r.error();
    if (auto r = readStreamOptions(root, out.includeUsage); !r) return r.error();
    // best_of equal to n returns every completion made: the same as n alone.
    std::int64_t bestOf = out.n;
    if (auto r = readInt(root, "best_of", 1, std::numeric_limits<int>::max(), bestOf); !r) return r.error();
    if (bestOf < out.n)
        return unexpected(fieldError("best_of", "is " + std::to_string(bestOf) + ": it must be at least n (" +
                                                    std::to_string(out.n) + ")"));
    if (bestOf > out.n)
        return unexpected(fieldError("best_of", "is " + std::to_string(bestOf) + ": only best_of equal to n (" +
                                                    std::to_string(out.n) + ") is served"));
    bool echo = false;
    if (auto r = readBool(root, "echo", echo); !r) return r.error();
    if (echo) return unexpected(fieldError("echo", "is not served (the prompt is not echoed)"));
    if (field(root, "logprobs"))
        return unexpected(fieldError("logprobs", "is not served on /v1/completions; "
                                                 "/v1/chat/completions has logprobs"));
    return out;
}

}  // namespace

Result<ChatCompletionRequest> parseChatCompletionRequest(std::string_view body,
                                                         engine::ChatMode defaultMode) {
    try {
        auto root = parseObject(body);
        if (!root) return unexpected(root.error());
        return readChat(*root, defaultMode);
    } catch (const std::exception& e) {
        return unexpected(Error::badInput(std::string("request: ") + e.what()));
    }
}

Result<CompletionRequest> parseCompletionRequest(std::string_view body) {
    try {
        auto root = parseObject(body);
        if (!root) return unexpected(root.error());
        return readCompletion(*root);
    } catch (const std::exception& e) {
        return unexpected(Error::badInput(std::string("request: ") + e.what()));
    }
}

}  // namespace atelier::agents
