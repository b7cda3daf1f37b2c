#pragma once
// EngineAgentModel: AgentModel over the local engine. Renders the conversation with the
// DeepSeek V4 chat format (tools on the first system message that carries them), submits it to
// the GenerationService (whose prefix cache forks every prompt from the longest prefilled
// prefix: agents whose conversations start with the same shared text prefill it once), streams
// the tokens through ChatStreamParser and returns the parsed turn.
// Threads: generate() from any number of agent threads at once; each blocks until its request
// is done. The service must outlive this object.

#include <optional>

#include "atelier/agents/agent_model.h"
#include "atelier/engine/generation_service.h"
#include "atelier/engine/sampler.h"
#include "atelier/engine/tokenizer.h"

namespace atelier::agents {

struct EngineAgentModelOptions {
    engine::ChatMode mode = engine::ChatMode::Chat;
    engine::SamplingParams sampling;
    std::int64_t maxTokensPerTurn = 1024;  // when the request asks for no limit, or a larger one
};

class EngineAgentModel final : public AgentModel {
public:
    EngineAgentModel(engine::GenerationService& service, engine::Tokenizer tokenizer,
                     EngineAgentModelOptions options = {});
    Result<AgentTurn> generate(const TurnRequest& request) override;

private:
    engine::GenerationService& m_service;
    engine::Tokenizer m_tokenizer;  // immutable, shared by every thread
    EngineAgentModelOptions m_options;
};

}  // namespace atelier::agents
