// BackendAgentModel: an agent's turn through the turn API (see backend_agent_model.h).

#include "atelier/agents/backend_agent_model.h"

#include <algorithm>
#include <optional>
#include <stop_token>

namespace atelier::agents {

Result<ChatBackendRequest> agentTurnRequest(const TurnRequest& req,
                                            const BackendAgentModelOptions& options) {
    ChatBackendRequest out;
    out.messages = req.messages;
    if (!req.tools.empty()) {
        auto schemas = toolSchemaTexts(req.tools);
        if (!schemas) return unexpected(schemas.error());
        // The last system message carries them, so a shared first system message stays a
        // common prefix of every agent's prompt.
        auto last = std::find_if(out.messages.rbegin(), out.messages.rend(),
                                 [](auto& m) { return m.role == engine::ChatRole::System; });
        if (last == out.messages.rend())
            return unexpected(Error::internal("no system message for the tools"));
        last->toolSchemas = std::move(*schemas);
        if (req.requireToolCall) out.toolChoice = ToolChoice::Required;
    }
    out.mode = options.mode;
    out.sampling = options.sampling;
    std::int64_t limit = options.maxTokensPerTurn;
    if (req.maxTokens > 0 && (limit <= 0 || req.maxTokens < limit)) limit = req.maxTokens;
    out.sampling.maxTokens = static_cast<int>(std::clamp<std::int64_t>(limit, 1, 1 << 30));
    if (req.constraint)
        out.constraint = [factory = req.constraint, tools = req.tools](const engine::Tokenizer& t) {
            return factory(t, tools);
        };
    return out;
}

BackendAgentModel::BackendAgentModel(std::shared_ptr<ChatBackend> backend,
                                     BackendAgentModelOptions options)
    : m_backend(std::move(backend)), m_options(std::move(options)) {}

Result<AgentTurn> BackendAgentModel::generate(const TurnRequest& req) {
    auto request = agentTurnRequest(req, m_options);
    if (!request) return unexpected(request.error());

    // Written by the backend's thread; wait() orders every write before the reads below.
    AgentTurn turn;
    std::optional<Error> error;
    auto sink = [&](const ChatEvent& e) {
        switch (e.kind) {
        case ChatEventKind::ReasoningDelta:
            turn.reasoning += e.text;
            if (req.onEvent) req.onEvent(TurnEvent{TurnEventKind::Reasoning, e.text, {}, {}});
            break;
        case ChatEventKind::ContentDelta:
            turn.content += e.text;
            if (req.onEvent) req.onEvent(TurnEvent{TurnEventKind::Content, e.text, {}, {}});
            break;
        case ChatEventKind::ToolCall:
            turn.toolCalls.push_back({e.toolCall.name, e.toolCall.arguments});
            break;
        case ChatEventKind::Done:
            turn.usage = {e.usage.promptTokens, e.usage.cachedTokens, e.usage.completionTokens};
            turn.cancelled = e.finish == TurnFinish::Cancelled;
            turn.truncated = e.finish == TurnFinish::Length || e.finish == TurnFinish::ContextFull;
            turn.cut = e.cut;
            turn.cutTool = e.cutTool;
            // A turn cut short by a stop is unfinished, not malformed.
            if (!turn.cancelled) turn.formatError = e.formatError;
            // Not the chat format (an untrained model, or a cut-off turn): the backend passed
            // the text on as content from where it failed, as it does for every client; no
            // tool is called.
            if (!e.formatError.empty()) turn.toolCalls.clear();
            break;
        case ChatEventKind::Error: error = e.error; break;
        case ChatEventKind::ToolCallDelta:
        case ChatEventKind::Token:
        case ChatEventKind::Progress:
        case ChatEventKind::Usage: break;
        }
    };
    auto started = m_backend->start(std::move(*request), sink);
    if (!started) return unexpected(started.error());
    TurnHandle& running = **started;
    {
        std::stop_callback cancel(req.stop, [&running] { running.cancel(); });
        running.wait();
    }
    if (error) return unexpected(*error);
    if (req.onEvent) {
        // Tool calls are reported whole, once the turn is known to be well-formed.
        for (const auto& c : turn.toolCalls)
            req.onEvent(TurnEvent{TurnEventKind::ToolCall, c.name, c.arguments, {}});
        req.onEvent(TurnEvent{TurnEventKind::Usage, {}, {}, turn.usage});
    }
    return turn;
}

}  // namespace atelier::agents
