// MCP sampling/createMessage on Atelier's model (see mcp_sampling.h).

#include "atelier/agents/mcp_sampling.h"

#include <algorithm>
#include <mutex>

namespace atelier::agents {
using nlohmann::json;

namespace {

constexpr std::size_t kMaxStopSequences = 16;

// The text of one message's content (a block or an array of blocks), text blocks only.
Result<std::string> contentText(const json& content, const std::string& at) {
    const auto block = [&](const json& b, const std::string& where) -> Result<std::string> {
        if (!b.is_object() || !b.contains("type") || !b["type"].is_string())
            return unexpected(Error::badInput(where + " is not a content block with a \"type\""));
        const std::string type = b["type"].get<std::string>();
        if (type != "text")
            return unexpected(Error::badInput(where + " is " + type +
                                              " content, which this client's model cannot read (text only)"));
        if (!b.contains("text") || !b["text"].is_string())
            return unexpected(Error::badInput(where + ".text must be a string"));
        return b["text"].get<std::string>();
    };
    if (!content.is_array()) return block(content, at);
    std::string text;
    for (std::size_t i = 0; i < content.size(); ++i) {
        auto t = block(content[i], at + "[" + std::to_string(i) + "]");
        if (!t) return t;
        if (i > 0) text += "\n";
        text += *t;
    }
    return text;
}

}  // namespace

Result<McpSamplingRequest> parseMcpSamplingParams(const json& params, const std::string& server, int maxTokensCap) {
    const std::string at = "sampling/createMessage from MCP server '" + server + "': ";
    if (!params.is_object()) return unexpected(Error::badInput(at + "params must be an object"));
    McpSamplingRequest r;
    r.server = server;
    if (params.contains("systemPrompt") && !params["systemPrompt"].is_null()) {
        if (!params["systemPrompt"].is_string())
            return unexpected(Error::badInput(at + "systemPrompt must be a string"));
        r.messages.push_back({engine::ChatRole::System, params["systemPrompt"].get<std::string>()});
    }
    const json& messages = params.value("messages", json());
    if (!messages.is_array() || messages.empty())
        return unexpected(Error::badInput(at + "messages must be a non-empty array"));
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const std::string where = "messages[" + std::to_string(i) + "]";
        const json& m = messages[i];
        if (!m.is_object()) return unexpected(Error::badInput(at + where + " must be an object"));
        const json& role = m.value("role", json());
        if (role != "user" && role != "assistant")
            return unexpected(Error::badInput(at + where + ".role must be \"user\" or \"assistant\""));
        if (!m.contains("content")) return unexpected(Error::badInput(at + where + " has no content"));
        auto text = contentText(m["content"], where + ".content");
        if (!text) return unexpected(Error::badInput(at + text.error().message));
        r.messages.push_back({role == "user" ? engine::ChatRole::User : engine::ChatRole::Assistant, *text});
    }
    const json& maxTokens = params.value("maxTokens", json());
    if (!maxTokens.is_number_integer() || maxTokens.get<std::int64_t>() < 1)
        return unexpected(Error::badInput(at + "maxTokens must be a whole number above 0"));
    r.maxTokens = int(std::min<std::int64_t>(maxTokens.get<std::int64_t>(), std::max(1, maxTokensCap)));
    if (params.contains("temperature") && !params["temperature"].is_null()) {
        const json& t = params["temperature"];
        if (!t.is_number() || t.get<double>() < 0 || t.get<double>() > 2)
            return unexpected(Error::badInput(at + "temperature must be a number from 0 to 2"));
        r.temperature = t.get<float>();
    }
    if (params.contains("stopSequences") && !params["stopSequences"].is_null()) {
        const json& s = params["stopSequences"];
        if (!s.is_array() || s.size() > kMaxStopSequences ||
            !std::all_of(s.begin(), s.end(), [](const json& x) { return x.is_string(); }))
            return unexpected(Error::badInput(at + "stopSequences must be a list of at most " +
                                              std::to_string(kMaxStopSequences) + " strings"));
        for (const auto& x : s)
            if (!x.get<std::string>().empty()) r.stopSequences.push_back(x.get<std::string>());
    }
    // includeContext, modelPreferences and metadata are hints: there is one model and no
    // other context to include.
    return r;
}

json mcpSamplingResult(const McpSamplingReply& reply) {
    return {{"role", "assistant"},
            {"content", {{"type", "text"}, {"text", reply.text}}},
            {"model", reply.model},
            {"stopReason", reply.stopReason}};
}

namespace {

struct SampledTurn {
    std::string content;
    std::int32_t lastToken = -1;
    std::optional<ChatEvent> done;
    std::optional<Error> error;
};

// Runs one turn and waits for its last event (which comes on the backend's thread).
Result<SampledTurn> runSampledTurn(ChatBackend& backend, ChatBackendRequest request) {
    std::mutex m;
    SampledTurn t;
    auto turn = backend.start(std::move(request), [&](const ChatEvent& e) {
        std::lock_guard lock(m);
        switch (e.kind) {
        case ChatEventKind::ContentDelta: t.content += e.text; break;
        case ChatEventKind::Token: t.lastToken = e.token; break;
        case ChatEventKind::Done: t.done = e; break;
        case ChatEventKind::Error: t.error = e.error; break;
        default: break;
        }
    });
    if (!turn) return unexpected(turn.error());
    (*turn)->wait();
    std::lock_guard lock(m);
    if (t.error) return unexpected(*t.error);
    if (!t.done) return unexpected(Error::internal("the turn ended without its last event"));
    return t;
}

}  // namespace

McpSampler backendSampler(std::shared_ptr<ChatBackend> backend, ChatSampling base, engine::ChatMode mode,
                          std::optional<std::int32_t> eosToken) {
    return [backend = std::move(backend), base, mode, eosToken](const McpSamplingRequest& req) -> Result<McpSamplingReply> {
        ChatBackendRequest request;
        request.messages = req.messages;
        request.mode = mode;
        request.sampling = base;
        request.sampling.maxTokens = req.maxTokens;
        if (req.temperature) request.sampling.temperature = *req.temperature;
        request.sampling.stop = req.stopSequences;
        request.sampling.logprobs = -1;
        auto turn = runSampledTurn(*backend, request);
        if (!turn && turn.error().code == ErrorCode::Overflow && request.sampling.maxTokens > 0) {
            // maxTokens is more than the context has left after the prompt: the reply may run
            // to the context's end instead (and ends "maxTokens" there).
            request.sampling.maxTokens = 0;
            turn = runSampledTurn(*backend, std::move(request));
        }
        if (!turn) return unexpected(turn.error());
        const ChatEvent& done = *turn->done;
        McpSamplingReply reply;
        reply.text = turn->content;
        reply.model = backend->modelName();
        reply.promptTokens = done.usage.promptTokens;
        reply.completionTokens = done.usage.completionTokens;
        switch (done.finish) {
        case TurnFinish::Length:
        case TurnFinish::ContextFull: reply.stopReason = "maxTokens"; break;
        case TurnFinish::Cancelled: return unexpected(Error::io("the model's turn was cancelled"));
        default:
            // The model ended its turn with its end-of-sentence token; a stop sequence ends it
            // after any other token.
            reply.stopReason =
                !req.stopSequences.empty() && eosToken && turn->lastToken >= 0 && turn->lastToken != *eosToken
                    ? "stopSequence"
                    : "endTurn";
            break;
        }
        return reply;
    };
}

}  // namespace atelier::agents
