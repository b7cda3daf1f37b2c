#pragma once
// MCP sampling (issue 20): a server asks the client's model for a completion with
// `sampling/createMessage` while one of its requests is in flight. McpClient declares the
// `sampling` capability only for a server whose configuration allows it ("sampling": true or
// {"max_tokens": N}, mcp_config.h), refuses the request otherwise with an error naming the
// server and the setting, and hands an allowed one, parsed here, to McpOptions::sampler.
// backendSampler() answers on a ChatBackend (the local model of `tool run --model` or a team
// run), through the same turn API as `generate` and `chat`, so a request gives the reply that
// the same conversation gives there at the same seed.
// Thread-safety: the parsing functions are pure; a backendSampler may be called from any
// thread (one turn per call, waited for).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/agents/chat_backend.h"
#include "atelier/base/result.h"
#include "atelier/engine/chat_format.h"

namespace atelier::agents {

// One sampling/createMessage, as the model gets it.
struct McpSamplingRequest {
    std::string server;                          // who asks
    std::vector<engine::ChatMessage> messages;   // systemPrompt first (System), then the turns
    int maxTokens = 0;                           // the server's maxTokens, capped by its config
    std::optional<float> temperature;            // none: the sampler's own
    std::vector<std::string> stopSequences;
};

struct McpSamplingReply {
    std::string text;                // the reply's content
    std::string model;               // the model's name
    std::string stopReason;          // "endTurn", "maxTokens" or "stopSequence"
    std::int64_t promptTokens = 0;
    std::int64_t completionTokens = 0;
};

// Answers one request (an error is sent back to the server as a JSON-RPC error, one line).
using McpSampler = std::function<Result<McpSamplingReply>(const McpSamplingRequest&)>;

// Reads sampling/createMessage `params` from `server`, capping maxTokens at `maxTokensCap`.
// Message roles are "user" and "assistant"; content is one block or an array of blocks, text
// only: image, audio or any other block is refused with an error naming it
// ("messages[1].content[0] is image content ..."). A missing or non-positive maxTokens is an
// error, as is a non-numeric temperature or a stopSequences that is not a list of strings.
Result<McpSamplingRequest> parseMcpSamplingParams(const nlohmann::json& params, const std::string& server,
                                                  int maxTokensCap);

// The createMessage result: {"role": "assistant", "content": {"type": "text", "text"},
// "model", "stopReason"}.
nlohmann::json mcpSamplingResult(const McpSamplingReply& reply);

// A sampler running one chat turn on `backend` per request: `base` gives the sampling settings
// (seed, top-p, top-k; the temperature unless the request sets one), the request its messages,
// maxTokens and stop sequences (the context's end also ends a reply: "maxTokens"). The reply is
// the turn's content (its reasoning is not part of it). `eosToken`: the model's end-of-sentence
// id, which tells a turn the model ended ("endTurn") from one a stop sequence ended
// ("stopSequence"; without it, and on a remote backend, every such turn is "endTurn").
McpSampler backendSampler(std::shared_ptr<ChatBackend> backend, ChatSampling base,
                          engine::ChatMode mode = engine::ChatMode::Chat,
                          std::optional<std::int32_t> eosToken = std::nullopt);

}  // namespace atelier::agents
