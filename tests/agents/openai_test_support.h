#pragma once
// Test support for the OpenAI server and remote backend tests: a tiny random-weight model in a
// GenerationService, the built-in vocabulary, an OpenAiServer on a free loopback port, a
// constraint factory that counts generated tokens and forces a scripted DSML tool call when a
// request names a function in tool_choice, and a raw HTTP client.

#include <QtTest>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "atelier/agents/openai_server.h"
#include "atelier/engine/model.h"
#include "atelier/engine/model_config.h"
#include "atelier/engine/vocabulary.h"
#include "atelier/engine/weight_source.h"

namespace openai_test {

using namespace atelier;
using namespace atelier::agents;

// Counts every token the service samples under it and, when `script` is not empty, allows
// only the script's next token (then EOS), so that a random-weight model "chooses" a tool call.
class ScriptedConstraint : public engine::TokenConstraint {
public:
    ScriptedConstraint(std::vector<std::int32_t> script, std::int32_t eos,
                       std::shared_ptr<std::atomic<int>> counter, bool forced)
        : m_script(std::move(script)), m_eos(eos), m_counter(std::move(counter)),
          m_forced(forced) {}
    void maskLogits(std::span<float> logits) override {
        ++*m_counter;
        if (!m_forced) return;
        const std::int32_t keep = m_pos < m_script.size() ? m_script[m_pos] : m_eos;
        for (std::size_t v = 0; v < logits.size(); ++v)
            if (std::int32_t(v) != keep) logits[v] = -std::numeric_limits<float>::infinity();
    }
    void accept(std::int32_t) override { ++m_pos; }

private:
    std::vector<std::int32_t> m_script;
    std::int32_t m_eos;
    std::shared_ptr<std::atomic<int>> m_counter;
    bool m_forced;
    std::size_t m_pos = 0;
};

inline const char* kWeatherTool =
    R"({"type":"function","function":{"name":"get_weather","description":"Weather of a city",)"
    R"("parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}})";

// The text of an assistant turn (after the prompt) that calls get_weather(city=Paris), as the
// chat encoder renders such a turn, without the end-of-sentence text.
inline std::string toolCallTurnText(const engine::Tokenizer& tok) {
    engine::ChatMessage user;
    user.role = engine::ChatRole::User;
    user.content = "Weather in Paris?";
    engine::ChatMessage assistant;
    assistant.role = engine::ChatRole::Assistant;
    assistant.content = "";
    assistant.toolCalls.push_back({"call_0", "get_weather", R"({"city": "Paris"})"});
    const engine::ChatEncodeOptions chat{engine::ChatMode::Chat};
    auto prompt = engine::encodeChat({user}, chat);
    auto whole = engine::encodeChat({user, assistant}, chat);
    if (!prompt || !whole) qFatal("encodeChat failed");
    if (whole->rfind(*prompt, 0) != 0) qFatal("the prompt is not a prefix of the whole turn");
    std::string turn = whole->substr(prompt->size());
    const std::string eos(tok.tokenBytes(tok.eosId()));
    const auto end = turn.rfind(eos);
    if (end == std::string::npos) qFatal("no end of sentence in the rendered turn");
    return turn.substr(0, end);
}

struct Fixture {
    std::unique_ptr<engine::GenerationService> service;
    std::optional<engine::Tokenizer> tokenizer;
    std::unique_ptr<OpenAiServer> server;
    std::shared_ptr<std::atomic<int>> sampled = std::make_shared<std::atomic<int>>(0);
    int port = 0;

    void start(ServeOptions options = {}) {
        auto model = engine::Model::load(engine::randomWeights(*engine::presetConfig("tiny"), 11));
        if (!model) qFatal("%s", model.error().message.c_str());
        auto tok = engine::Tokenizer::fromVocabulary(engine::builtinVocabulary(1024));
        if (!tok) qFatal("%s", tok.error().message.c_str());
        tokenizer = *tok;
        service = std::make_unique<engine::GenerationService>(std::move(*model),
                                                              engine::GenerationOptions{}, *tok);
        startServer(std::move(options));
    }

    // A server on the fixture's service (several may share it).
    std::unique_ptr<OpenAiServer> makeServer(ServeOptions options) {
        options.host = options.host.empty() ? "127.0.0.1" : options.host;
        options.port = 0;
        options.modelName = "atelier-tiny";
        auto s = std::make_unique<OpenAiServer>(options, *service, *tokenizer);
        auto script = tokenizer->encode(toolCallTurnText(*tokenizer), true);
        const auto eos = tokenizer->eosId();
        auto counter = sampled;
        s->chatBackend().setConstraintFactory(
            [script, eos, counter](const ChatBackendRequest& r, const engine::Tokenizer&) {
                return std::make_shared<ScriptedConstraint>(
                    script, eos, counter, r.toolChoice == ToolChoice::Function);
            });
        return s;
    }

    void startServer(ServeOptions options) {
        server = makeServer(std::move(options));
        auto p = server->start();
        if (!p) qFatal("%s", p.error().message.c_str());
        port = *p;
    }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
    httplib::Client client() const {
        httplib::Client c("127.0.0.1", port);
        c.set_read_timeout(30, 0);
        return c;
    }
};

inline nlohmann::json parseJson(const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) qFatal("not JSON: %s", text.c_str());
    return j;
}

}  // namespace openai_test
