// ctest-labels: unit
// The team runtime on the real engine (the tiny preset's random weights): BackendAgentModel over
// LocalChatBackend renders, generates and parses a turn; the constraint factory reaches every generation
// request; a worker's conversation forks the manager's prefilled shared prefix from the prefix
// cache (its cached tokens cover at least the whole 128-token blocks of the shared prefix,
// counted here by rendering and tokenising the prefix alone).

#include <algorithm>
#include <atomic>
#include <cmath>

#include "atelier/agents/backend_agent_model.h"
#include "atelier/agents/local_chat_backend.h"
#include "atelier/engine/model.h"
#include "atelier/engine/model_config.h"
#include "atelier/engine/prefix_cache.h"
#include "atelier/engine/vocabulary.h"
#include "atelier/engine/weight_source.h"
#include "team_runtime_fixture.h"

using namespace fixture;
using namespace atelier::engine;

namespace {

// Forces a fixed token sequence, then EOS: stands in for a grammar that leaves one choice.
class ForcedTokens final : public TokenConstraint {
public:
    ForcedTokens(std::vector<std::int32_t> tokens, std::int32_t eos) : m_tokens(std::move(tokens)), m_eos(eos) {}
    void maskLogits(std::span<float> logits) override {
        const std::int32_t allowed = m_next < m_tokens.size() ? m_tokens[m_next] : m_eos;
        for (std::size_t v = 0; v < logits.size(); ++v)
            if (std::int32_t(v) != allowed) logits[v] = -INFINITY;
    }
    void accept(std::int32_t) override { ++m_next; }

private:
    std::vector<std::int32_t> m_tokens;
    std::int32_t m_eos;
    std::size_t m_next = 0;
};

const std::string kDelegateCall =
    "Delegating.\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"delegate\">\n"
    "<｜DSML｜parameter name=\"agent\" string=\"true\">reader</｜DSML｜parameter>\n"
    "<｜DSML｜parameter name=\"task\" string=\"true\">read a.txt</｜DSML｜parameter>\n"
    "</｜DSML｜invoke>\n</｜DSML｜tool_calls>";

}  // namespace

class TestTeamRuntimeEngine : public QObject {
    Q_OBJECT
private slots:
    void workerForksTheSharedPrefix();
    void aCallCutByMaxTokensEndsTruncated();
};

void TestTeamRuntimeEngine::workerForksTheSharedPrefix() {
    Env env;
    // Few tools keep the prompts short: the tiny model prefills on the CPU.
    const Team team = env.team(
        "---\nname: engine-team\nagent:\n  name: manager\n  tools: [delegate]\n"
        "  budgets: {tokens: 100000, steps: 4, wall_seconds: 600, depth: 1}\n  approval: auto\n"
        "  workers:\n    - name: reader\n      role: You read.\n      tools: []\n"
        "      budgets: {tokens: 50000, steps: 4, wall_seconds: 600, depth: 0}\n      approval: auto\n"
        "---\nYou manage.\n");
    auto config = presetConfig("tiny");
    QVERIFY(config);
    auto model = Model::load(randomWeights(*config, 5));
    QVERIFY(model);
    auto tokenizer = Tokenizer::fromVocabulary(builtinVocabulary(config->vocabSize));
    QVERIFY(tokenizer);
    GenerationOptions gen;
    gen.prefillChunk = kPrefixBlock;
    GenerationService service(std::move(*model), gen, *tokenizer);
    BackendAgentModelOptions mo;
    mo.sampling.temperature = 0;
    mo.maxTokensPerTurn = 0;  // the runtime's limit
    BackendAgentModel agentModel(std::make_shared<LocalChatBackend>(service, *tokenizer, "tiny"), mo);

    std::atomic<int> constrained{0}, requests{0};
    const auto forced = tokenizer->encode(kDelegateCall, true);
    std::string prefix = "The team's shared documents:\n";
    for (int i = 0; i < 20; ++i) prefix += "Document line " + std::to_string(i) + ": the answer is 42.\n";
    Ran r = runTeam(env, team, agentModel, "What does a.txt say?", [&](TeamRuntimeOptions& o) {
        o.sharedPrefix = prefix;
        o.maxTokensPerTurn = 200;
        o.constraint = [&](const Tokenizer&, const std::vector<ToolSpec>& tools) -> std::shared_ptr<TokenConstraint> {
            ++requests;
            const bool delegates = std::any_of(tools.begin(), tools.end(), [](auto& t) { return t.name == "delegate"; });
            // The manager's first turn delegates; every other turn ends at once (an empty answer).
            const bool first = delegates && constrained++ == 0;
            return std::make_shared<ForcedTokens>(first ? forced : std::vector<std::int32_t>{}, tokenizer->eosId());
        };
    });
    QVERIFY2(r.outcome, r.outcome ? "" : r.outcome.error().message.c_str());
    QCOMPARE(requests.load(), 3);  // manager twice, reader once
    const auto all = sigs(r.events);
    QCOMPARE(all.at(0), std::string("manager step"));
    QCOMPARE(all.at(1), std::string("manager tool_call delegate allow"));
    QCOMPARE(all.at(2), std::string("manager delegate reader"));
    QCOMPARE(r.events.at(0).json["content"], nlohmann::json("Delegating."));
    QCOMPARE(r.events.at(0).json["tool_calls"][0]["arguments"],
             nlohmann::json(R"({"agent": "reader", "task": "read a.txt"})"));
    QCOMPARE(all, (std::vector<std::string>{"manager step", "manager tool_call delegate allow",
                                            "manager delegate reader", "reader step",
                                            "manager tool_result delegate ok", "manager step", "done ok"}));

    // The reader's first prompt shares the manager's rendered prefix; the engine served the
    // whole blocks of it from the cache.
    nlohmann::json readerStep;
    for (const auto& e : r.events)
        if (e.json["event"] == "step" && e.json["agent"] == "reader") {
            readerStep = e.json;
            break;
        }
    QVERIFY(!readerStep.is_null());
    auto prefixText = encodeChat({ChatMessage{ChatRole::System, prefix}}, ChatEncodeOptions{ChatMode::Chat});
    QVERIFY(prefixText);
    // The last prefix token may merge with what follows it; every block before it is shared.
    const auto prefixTokens = static_cast<std::int64_t>(tokenizer->encode(*prefixText, true).size());
    const std::int64_t sharedBlocks = (prefixTokens - 1) / kPrefixBlock;
    QVERIFY(sharedBlocks >= 2);
    const std::int64_t cached = readerStep["usage"]["cached_tokens"];
    const std::int64_t prompt = readerStep["usage"]["prompt_tokens"];
    QVERIFY2(cached >= sharedBlocks * kPrefixBlock, qPrintable(QString::number(cached)));
    QVERIFY(cached < prompt);
    QCOMPARE(cached % kPrefixBlock, std::int64_t(0));
    // The manager's own first turn started cold.
    QCOMPARE(r.events.at(0).json["usage"]["cached_tokens"], nlohmann::json(0));
}

// The engine ends the manager's turn at max tokens inside its delegate call: the backend
// says where it stopped, nothing is delegated, and the run ends truncated rather than ok with
// the half call as its report.
void TestTeamRuntimeEngine::aCallCutByMaxTokensEndsTruncated() {
    Env env;
    const Team team = env.team(
        "---\nname: engine-team\nagent:\n  name: manager\n  tools: [delegate]\n"
        "  budgets: {tokens: 100000, steps: 4, wall_seconds: 600, depth: 1}\n  approval: auto\n"
        "  workers:\n    - name: reader\n      role: You read.\n      tools: []\n"
        "      budgets: {tokens: 50000, steps: 4, wall_seconds: 600, depth: 0}\n      approval: auto\n"
        "---\nYou manage.\n");
    auto config = presetConfig("tiny");
    QVERIFY(config);
    auto model = Model::load(randomWeights(*config, 5));
    QVERIFY(model);
    auto tokenizer = Tokenizer::fromVocabulary(builtinVocabulary(config->vocabSize));
    QVERIFY(tokenizer);
    GenerationService service(std::move(*model), GenerationOptions{}, *tokenizer);
    BackendAgentModelOptions mo;
    mo.sampling.temperature = 0;
    BackendAgentModel agentModel(std::make_shared<LocalChatBackend>(service, *tokenizer, "tiny"), mo);
    const auto forced = tokenizer->encode(kDelegateCall, true);
    // Past the invoke tag, inside the first parameter.
    const auto upToName = tokenizer->encode(kDelegateCall.substr(0, kDelegateCall.find("reader<")), true);
    const auto limit = std::int64_t(upToName.size());
    QVERIFY(limit + 4 < std::int64_t(forced.size()));
    Ran r = runTeam(env, team, agentModel, "What does a.txt say?", [&](TeamRuntimeOptions& o) {
        o.maxTokensPerTurn = limit;
        o.constraint = [&](const Tokenizer&, const std::vector<ToolSpec>&) -> std::shared_ptr<TokenConstraint> {
            return std::make_shared<ForcedTokens>(forced, tokenizer->eosId());
        };
    });
    QVERIFY2(r.outcome, r.outcome ? "" : r.outcome.error().message.c_str());
    QCOMPARE(r.outcome->status, RunStatus::Truncated);
    QCOMPARE(sigs(r.events), (std::vector<std::string>{"manager step", "done truncated"}));
    const auto& step = r.events.front().json;
    QCOMPARE(step["truncated"], nlohmann::json(true));
    QCOMPARE(step["truncated_in"], nlohmann::json("tool_call"));
    QCOMPARE(step["truncated_tool"], nlohmann::json("delegate"));
    QVERIFY(step["tool_calls"].empty());
    const std::string report = r.outcome->report;
    QVERIFY2(report.find("inside a tool call to delegate; raise --max-tokens") != std::string::npos, report.c_str());
    QVERIFY(report.find("DSML") == std::string::npos);
}

QTEST_APPLESS_MAIN(TestTeamRuntimeEngine)
#include "test_team_runtime_engine.moc"
