#pragma once
// BackendAgentModel: AgentModel over the turn API (chat_backend.h). An agent's turn is one
// ChatBackend turn — on the local engine (LocalChatBackend: the GenerationService's prefix cache
// forks every prompt from the longest prefilled prefix, so agents whose conversations start with
// the same shared text prefill it once) or on an OpenAI-compatible server (RemoteChatBackend:
// a team that outgrows one machine). The offered tools go on the last system message, so a
// shared first system message stays a common prefix of every agent's prompt.
// Threads: generate() from any number of agent threads at once; each blocks until its turn is
// done. The backend must outlive this object.

#include <cstdint>
#include <memory>

#include "atelier/agents/agent_model.h"
#include "atelier/agents/chat_backend.h"

namespace atelier::agents {

struct BackendAgentModelOptions {
    engine::ChatMode mode = engine::ChatMode::Chat;
    ChatSampling sampling;                  // its maxTokens is ignored: see maxTokensPerTurn
    std::int64_t maxTokensPerTurn = 1024;   // when the request asks for no limit, or a larger one
};

class BackendAgentModel final : public AgentModel {
public:
    // `backend` is shared: the window keeps a loaded model alive for as long as a run uses it.
    BackendAgentModel(std::shared_ptr<ChatBackend> backend, BackendAgentModelOptions options = {});
    Result<AgentTurn> generate(const TurnRequest& request) override;

private:
    std::shared_ptr<ChatBackend> m_backend;
    BackendAgentModelOptions m_options;
};

// The request BackendAgentModel sends for `request` (exposed for tests).
Result<ChatBackendRequest> agentTurnRequest(const TurnRequest& request,
                                            const BackendAgentModelOptions& options);

}  // namespace atelier::agents
