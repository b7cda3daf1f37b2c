#pragma once
// LocalChatBackend: the turn API (chat_backend.h) over the in-process GenerationService. A turn
// renders the conversation with the DeepSeek V4 chat format, submits it (the service batches it
// with every other request and serves shared prefixes from its cache) and parses the reply
// while it is generated with ChatStreamParser. A reply that leaves the chat format (a random-weight model
// does) is passed on as content from that point, never dropped.
// Threads: start() from any thread; events come on the service's scheduler thread.

#include <functional>
#include <memory>
#include <string>

#include "atelier/agents/chat_backend.h"
#include "atelier/engine/generation_service.h"
#include "atelier/engine/token_constraint.h"
#include "atelier/engine/tokenizer.h"

namespace atelier::agents {

// Makes the decoding constraint of a request (e.g. a grammar that forces a tool call when
// tool_choice asks for one); null: unconstrained.
using ChatConstraintFactory = std::function<std::shared_ptr<engine::TokenConstraint>(
    const ChatBackendRequest& request, const engine::Tokenizer& tokenizer)>;

// The one place a generation request is built from the turn API's sampling: the prompt ids,
// the sampling options, max tokens, stop strings, and the tokenizer's end-of-sentence token as
// the stop token. Used for chat turns and for raw continuations (/v1/completions, `generate
// --raw`), which skip the chat format.
engine::GenerationRequest generationRequest(std::vector<engine::TokenId> prompt,
                                            const ChatSampling& sampling,
                                            const engine::Tokenizer& tokenizer);

class LocalChatBackend : public ChatBackend {
public:
    // `service` must outlive the backend and its turns.
    LocalChatBackend(engine::GenerationService& service, engine::Tokenizer tokenizer,
                     std::string modelName);
    // Shares `service`: it lives as long as the backend (the window hands the loaded model's
    // backend to team runs, which may outlast the next model load).
    LocalChatBackend(std::shared_ptr<engine::GenerationService> service,
                     engine::Tokenizer tokenizer, std::string modelName);

    Result<std::unique_ptr<TurnHandle>> start(ChatBackendRequest request,
                                            ChatEventSink sink) override;
    std::string modelName() const override { return m_modelName; }

    // Set before the first start(); used by every later turn.
    void setConstraintFactory(ChatConstraintFactory factory) { m_constraints = std::move(factory); }

private:
    std::shared_ptr<engine::GenerationService> m_owned;  // null when borrowed
    engine::GenerationService& m_service;
    engine::Tokenizer m_tokenizer;
    std::string m_modelName;
    ChatConstraintFactory m_constraints;
};

}  // namespace atelier::agents
