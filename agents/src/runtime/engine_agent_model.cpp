// EngineAgentModel: one assistant turn on the local engine (see engine_agent_model.h).

#include "atelier/agents/engine_agent_model.h"

#include <algorithm>

#include "atelier/engine/chat_stream_parser.h"

namespace atelier::agents {

const char* turnCutName(TurnCut cut) {
    switch (cut) {
    case TurnCut::None: return "none";
    case TurnCut::Reasoning: return "reasoning";
    case TurnCut::Content: return "content";
    case TurnCut::ToolCall: return "tool_call";
    }
    return "none";
}

nlohmann::json TurnUsage::toJson() const {
    return {{"prompt_tokens", promptTokens}, {"cached_tokens", cachedTokens},
            {"completion_tokens", completionTokens}};
}

Result<std::vector<std::string>> toolSchemaTexts(const std::vector<ToolSpec>& tools) {
    if (tools.empty()) return std::vector<std::string>{};
    // The chat format reads OpenAI-style tools and serialises each `function` exactly as the
    // official encoder prints it; going through it keeps one serialiser.
    nlohmann::json input = {{"messages", {{{"role", "system"}, {"content", ""}}}},
                            {"tools", nlohmann::json::array()}};
    for (const auto& t : tools)
        input["tools"].push_back({{"type", "function"},
                                  {"function", {{"name", t.name},
                                                {"description", t.description},
                                                {"parameters", t.parameters}}}});
    auto messages = engine::parseChatMessages(input.dump());
    if (!messages) return unexpected(messages.error());
    return messages->front().toolSchemas;
}

namespace {

std::vector<std::string> toolNames(const std::vector<ToolSpec>& tools) {
    std::vector<std::string> names;
    for (const auto& t : tools) names.push_back(t.name);
    return names;
}

// Forwards parser events to the request's observer; collects nothing (the parser does).
void forward(const TurnRequest& req, const std::vector<engine::ChatStreamEvent>& events) {
    if (!req.onEvent) return;
    for (const auto& e : events) {
        TurnEvent out;
        if (e.kind == engine::ChatStreamEventKind::ReasoningDelta) {
            out.kind = TurnEventKind::Reasoning;
            out.text = e.text;
        } else if (e.kind == engine::ChatStreamEventKind::ContentDelta) {
            out.kind = TurnEventKind::Content;
            out.text = e.text;
        } else {
            continue;  // tool calls are reported whole, after the turn
        }
        req.onEvent(out);
    }
}

}  // namespace

EngineAgentModel::EngineAgentModel(engine::GenerationService& service, engine::Tokenizer tokenizer,
                                   EngineAgentModelOptions options)
    : m_service(service), m_tokenizer(std::move(tokenizer)), m_options(options) {}

Result<AgentTurn> EngineAgentModel::generate(const TurnRequest& req) {
    auto messages = req.messages;
    if (!req.tools.empty()) {
        auto schemas = toolSchemaTexts(req.tools);
        if (!schemas) return unexpected(schemas.error());
        // The last system message carries them, so a shared first system message stays a
        // common prefix of every agent's prompt.
        auto last = std::find_if(messages.rbegin(), messages.rend(),
                                 [](auto& m) { return m.role == engine::ChatRole::System; });
        if (last == messages.rend()) return unexpected(Error::internal("no system message for the tools"));
        last->toolSchemas = std::move(*schemas);
    }
    auto prompt = engine::encodeChatTokens(m_tokenizer, messages,
                                           engine::ChatEncodeOptions{m_options.mode});
    if (!prompt) return unexpected(prompt.error());

    engine::ChatStreamParser parser(m_options.mode, toolNames(req.tools));
    std::optional<Error> error;
    std::optional<engine::GenerationResult> result;
    TurnCut cut = TurnCut::None;
    std::string cutTool;
    engine::GenerationRequest g;
    g.prompt = std::move(*prompt);
    g.sampling = m_options.sampling;
    std::int64_t limit = m_options.maxTokensPerTurn;
    if (req.maxTokens > 0 && (limit <= 0 || req.maxTokens < limit)) limit = req.maxTokens;
    g.stop.maxTokens = static_cast<int>(std::max<std::int64_t>(1, limit));
    g.stop.stopTokens = {m_tokenizer.eosId()};
    g.stopToken = req.stop;
    if (req.constraint) g.constraint = req.constraint(req.tools);
    // Callbacks run on the scheduler thread; wait() orders them before the reads below.
    g.callbacks.onToken = [&](std::int32_t, std::string_view piece) { forward(req, parser.feed(piece)); };
    g.callbacks.onDone = [&](const engine::GenerationResult& r) {
        // The service stops at EOS without its text; the parser needs it to close the turn.
        if (r.reason == engine::FinishReason::Stop)
            forward(req, parser.feed(std::string(m_tokenizer.tokenBytes(m_tokenizer.eosId()))));
        if (r.reason == engine::FinishReason::Length || r.reason == engine::FinishReason::ContextFull) {
            // Where the limit cut the turn; asked before finish(), which fails an unfinished turn.
            switch (parser.place()) {
            case engine::ChatStreamPlace::Reasoning: cut = TurnCut::Reasoning; break;
            case engine::ChatStreamPlace::Content: cut = TurnCut::Content; break;
            case engine::ChatStreamPlace::ToolCalls: cut = TurnCut::ToolCall; break;
            case engine::ChatStreamPlace::Ended: break;
            }
            cutTool = parser.openToolCall();
        }
        forward(req, parser.finish());
        result = r;
    };
    g.callbacks.onError = [&](const Error& e) { error = e; };
    auto handle = m_service.submit(std::move(g));
    if (!handle) return unexpected(handle.error());
    handle->wait();
    if (error) return unexpected(*error);

    AgentTurn turn;
    turn.usage = {result->usage.promptTokens, result->usage.cachedTokens,
                  result->usage.completionTokens};
    turn.cancelled = result->reason == engine::FinishReason::Cancelled;
    turn.truncated = result->reason == engine::FinishReason::Length ||
                     result->reason == engine::FinishReason::ContextFull;
    turn.cut = cut;
    turn.cutTool = toValidUtf8(cutTool);
    if (parser.failed()) {
        // Not the chat format (an untrained model, or a cut-off turn): the raw text is the
        // answer, and no tool is called.
        // A turn cut short by a stop is unfinished, not malformed.
        if (!turn.cancelled) turn.formatError = toValidUtf8(parser.errorMessage());
        turn.content = toValidUtf8(result->text);
    } else {
        const auto& parsed = parser.result();
        turn.reasoning = toValidUtf8(parsed.reasoningContent);
        turn.content = toValidUtf8(parsed.content);
        for (const auto& c : parsed.toolCalls)
            turn.toolCalls.push_back({toValidUtf8(c.name), toValidUtf8(c.arguments)});
    }
    if (req.onEvent) {
        for (const auto& c : turn.toolCalls)
            req.onEvent(TurnEvent{TurnEventKind::ToolCall, c.name, c.arguments, {}});
        req.onEvent(TurnEvent{TurnEventKind::Usage, {}, {}, turn.usage});
    }
    return turn;
}

}  // namespace atelier::agents
