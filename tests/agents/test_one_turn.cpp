// ctest-labels: unit
// One turn, one door (issue #18): the same conversation, greedy, gives the same turn through
// every door the product has — the turn API on the local engine (LocalChatBackend), an agent's
// turn (BackendAgentModel), `serve` over HTTP read back by RemoteChatBackend, and a one-agent
// team run on the local engine and on that remote backend. The tiny preset's random weights
// make any divergence in rendering, tokenizing, sampling or parsing show up as different text.

#include <QtTest>

#include <mutex>

#include "atelier/agents/backend_agent_model.h"
#include "atelier/agents/local_chat_backend.h"
#include "atelier/agents/remote_chat_backend.h"
#include "openai_test_support.h"
#include "team_runtime_fixture.h"

using namespace atelier;
using namespace atelier::agents;

namespace {

constexpr int kMaxTokens = 12;

const std::string kTeamText =
    "---\nname: solo-team\nagent:\n  name: solo\n  tools: []\n"
    "  budgets: {tokens: 100000, steps: 2, wall_seconds: 600, depth: 0}\n  approval: auto\n"
    "---\nYou answer in one line.\n";
const std::string kShared = "Shared documents of the team.\n";
const std::string kTask = "What is the answer?";

// The conversation a one-agent team sends on its first turn (agent_loop.cpp builds it so).
std::vector<engine::ChatMessage> teamConversation() {
    return {{engine::ChatRole::System, kShared},
            {engine::ChatRole::System,
             "\n\nYou are the agent \"solo\" of the team \"solo-team\".\nYou answer in one line.\n"},
            {engine::ChatRole::User, kTask}};
}

struct Collected {
    std::string reasoning, content;
    std::vector<std::int32_t> tokens;
    ChatUsage usage;
    TurnFinish finish = TurnFinish::Stop;
    std::string formatError;
    std::optional<Error> error;
};

Collected runTurn(ChatBackend& backend, const std::vector<engine::ChatMessage>& messages) {
    ChatBackendRequest request;
    request.messages = messages;
    request.sampling.temperature = 0;
    request.sampling.maxTokens = kMaxTokens;
    Collected c;
    auto turn = backend.start(request, [&c](const ChatEvent& e) {
        switch (e.kind) {
        case ChatEventKind::ReasoningDelta: c.reasoning += e.text; break;
        case ChatEventKind::ContentDelta: c.content += e.text; break;
        case ChatEventKind::Token: c.tokens.push_back(e.token); break;
        case ChatEventKind::Done:
            c.usage = e.usage;
            c.finish = e.finish;
            c.formatError = e.formatError;
            break;
        case ChatEventKind::Error: c.error = e.error; break;
        default: break;
        }
    });
    if (!turn) qFatal("start: %s", turn.error().message.c_str());
    (*turn)->wait();
    return c;
}

BackendAgentModelOptions greedy() {
    BackendAgentModelOptions o;
    o.sampling.temperature = 0;
    o.maxTokensPerTurn = kMaxTokens;
    return o;
}

}  // namespace

class TestOneTurn : public QObject {
    Q_OBJECT
private slots:
    void sameTurnThroughEveryDoor();
    void aTeamRunsOnARemoteBackend();
    void theRemoteBackendRefusesAHostNotAllowed();
};

void TestOneTurn::sameTurnThroughEveryDoor() {
    openai_test::Fixture f;
    f.start();
    const auto messages = teamConversation();

    auto local = std::make_shared<LocalChatBackend>(*f.service, *f.tokenizer, "tiny");
    const Collected direct = runTurn(*local, messages);
    QVERIFY(!direct.error);
    QCOMPARE(std::int64_t(direct.tokens.size()), direct.usage.completionTokens);
    QVERIFY(direct.usage.completionTokens > 0);
    QVERIFY(!(direct.content + direct.reasoning).empty());

    // The prompt is the template's: marker ids joined with content tokenized as text.
    auto ids = engine::encodeChatTokens(*f.tokenizer, messages, engine::ChatEncodeOptions{engine::ChatMode::Chat});
    QVERIFY(ids);
    QCOMPARE(direct.usage.promptTokens, std::int64_t(ids->size()));

    // The tokens are what the engine samples greedily from that prompt, one request on its own.
    engine::GenerationRequest plain;
    plain.prompt = *ids;
    plain.sampling.temperature = 0;
    plain.stop.maxTokens = kMaxTokens;
    plain.stop.stopTokens = {f.tokenizer->eosId()};
    std::vector<std::int32_t> sampled;
    plain.callbacks.onDone = [&sampled](const engine::GenerationResult& r) { sampled = r.tokens; };
    auto handle = f.service->submit(std::move(plain));
    QVERIFY(handle);
    handle->wait();
    QCOMPARE(sampled, direct.tokens);

    // An agent's turn.
    BackendAgentModel agent(local, greedy());
    TurnRequest req;
    req.agent = "solo";
    req.messages = messages;
    auto turn = agent.generate(req);
    QVERIFY2(turn, turn ? "" : turn.error().message.c_str());
    QCOMPARE(turn->content, direct.content);
    QCOMPARE(turn->reasoning, direct.reasoning);
    QCOMPARE(turn->usage.completionTokens, direct.usage.completionTokens);

    // `serve` over HTTP, read back through the remote backend (streamed and whole).
    for (bool stream : {true, false}) {
        RemoteChatBackend remote({f.url(), "atelier-tiny", "", stream}, HostAllowlist({"127.0.0.1"}));
        const Collected viaServe = runTurn(remote, messages);
        QVERIFY2(!viaServe.error, viaServe.error ? viaServe.error->message.c_str() : "");
        QCOMPARE(viaServe.content, direct.content);
        QCOMPARE(viaServe.reasoning, direct.reasoning);
        QCOMPARE(viaServe.usage.promptTokens, direct.usage.promptTokens);
        QCOMPARE(viaServe.usage.completionTokens, direct.usage.completionTokens);
        QVERIFY(viaServe.tokens.empty());  // a remote server has no token ids to give
    }

    // A one-agent team on the local engine: its step is the same turn.
    fixture::Env env;
    const Team team = env.team(kTeamText);
    fixture::Ran r = fixture::runTeam(env, team, agent, kTask, [](TeamRuntimeOptions& o) {
        o.sharedPrefix = kShared;
        o.maxTokensPerTurn = kMaxTokens;
    });
    QVERIFY2(r.outcome, r.outcome ? "" : r.outcome.error().message.c_str());
    QVERIFY(!r.events.empty());
    const auto& step = r.events.front().json;
    QCOMPARE(step.value("event", ""), std::string("step"));
    QCOMPARE(step["usage"]["prompt_tokens"].get<std::int64_t>(), direct.usage.promptTokens);
    QCOMPARE(step.value("content", ""), direct.content);
}

void TestOneTurn::aTeamRunsOnARemoteBackend() {
    openai_test::Fixture f;
    f.start();
    auto local = std::make_shared<LocalChatBackend>(*f.service, *f.tokenizer, "tiny");
    const Collected direct = runTurn(*local, teamConversation());

    BackendAgentModel agent(std::make_shared<RemoteChatBackend>(
                                RemoteEndpoint{f.url(), "atelier-tiny"}, HostAllowlist({"127.0.0.1"})),
                            greedy());
    fixture::Env env;
    const Team team = env.team(kTeamText);
    fixture::Ran r = fixture::runTeam(env, team, agent, kTask, [](TeamRuntimeOptions& o) {
        o.sharedPrefix = kShared;
        o.maxTokensPerTurn = kMaxTokens;
        // A local grammar cannot reach a remote server: the factory is never called.
        o.constraint = [](const engine::Tokenizer&, const std::vector<ToolSpec>&)
            -> std::shared_ptr<engine::TokenConstraint> {
            qFatal("a remote turn asked for a local constraint");
        };
    });
    QVERIFY2(r.outcome, r.outcome ? "" : r.outcome.error().message.c_str());
    const auto all = fixture::sigs(r.events);
    QVERIFY(!all.empty());
    QCOMPARE(all.front(), std::string("solo step"));
    QVERIFY2(all.back().rfind("done ", 0) == 0, all.back().c_str());
    const auto& step = r.events.front().json;
    QCOMPARE(step.value("content", ""), direct.content);
    QCOMPARE(step["usage"]["prompt_tokens"].get<std::int64_t>(), direct.usage.promptTokens);
    // The run is in the store like any other.
    const auto& done = r.events.back().json;
    QVERIFY(done.contains("status"));
}

void TestOneTurn::theRemoteBackendRefusesAHostNotAllowed() {
    openai_test::Fixture f;
    f.start();
    BackendAgentModel agent(std::make_shared<RemoteChatBackend>(
                                RemoteEndpoint{f.url(), "atelier-tiny"}, HostAllowlist(std::vector<std::string>{})),
                            greedy());
    TurnRequest req;
    req.agent = "solo";
    req.messages = teamConversation();
    auto turn = agent.generate(req);
    QVERIFY(!turn);
    QVERIFY2(turn.error().message.find("allow") != std::string::npos, turn.error().message.c_str());
}

QTEST_APPLESS_MAIN(TestOneTurn)
#include "test_one_turn.moc"
