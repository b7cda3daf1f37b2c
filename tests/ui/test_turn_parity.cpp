// ctest-labels: unit
// One turn, one door: the window's chat turn (EngineBridge::submitChat), a direct turn on a
// LocalChatBackend over a separately loaded copy of the same model, and an agent's turn through
// BackendAgentModel (no tools) — on that copy and on the window's own backend, as a team run
// gets it from engineTeamModel — are the same turn. Greedy on the tiny random-weight model, the
// same conversation gives exactly the same reasoning and answer text, the same raw text, the
// same number of tokens and the same finish, in chat and in thinking mode.

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <optional>

#include "atelier/agents/backend_agent_model.h"
#include "atelier/agents/local_chat_backend.h"
#include "atelier/engine/generation_service.h"
#include "atelier/engine/model.h"
#include "atelier/engine/model_files.h"
#include "atelier/engine/tokenizer.h"
#include "atelier/ui/backend_choice.h"
#include "atelier/ui/chat_controller.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/team_controller.h"
#include "loaded_tiny_model.h"

using namespace atelier;
using namespace atelier::ui;

namespace {

constexpr int kMaxTokens = 24;

QString q(const std::string& s) { return QString::fromStdString(s); }

// What one turn produced, however it was run.
struct TurnText {
    std::string reasoning;  // the streamed reasoning pieces, joined
    std::string content;    // the streamed answer pieces, joined
    std::string raw;        // the whole raw text (Done)
    std::string formatError;
    std::int64_t completionTokens = -1;
    agents::TurnFinish finish = agents::TurnFinish::Stop;
    int toolCalls = 0;
};

constexpr const char* kSystem = "You are a terse assistant. Answer in one line.";
constexpr const char* kUser = "Name three colours of the rainbow.";

std::vector<engine::ChatMessage> conversation() {
    engine::ChatMessage system;
    system.role = engine::ChatRole::System;
    system.content = kSystem;
    engine::ChatMessage user;
    user.role = engine::ChatRole::User;
    user.content = kUser;
    return {system, user};
}

agents::ChatSampling greedy() {
    agents::ChatSampling s;
    s.temperature = 0;
    s.maxTokens = kMaxTokens;
    return s;
}

// A direct turn on `backend`, events gathered as the turn API reports them.
std::optional<TurnText> directTurn(agents::ChatBackend& backend, engine::ChatMode mode,
                                   const agents::ChatSampling& sampling) {
    agents::ChatBackendRequest request;
    request.messages = conversation();
    request.mode = mode;
    request.sampling = sampling;
    TurnText out;  // written on the scheduler thread; wait() orders it before the reads
    bool failed = false;
    auto turn = backend.start(std::move(request), [&](const agents::ChatEvent& e) {
        switch (e.kind) {
        case agents::ChatEventKind::ReasoningDelta: out.reasoning += e.text; break;
        case agents::ChatEventKind::ContentDelta: out.content += e.text; break;
        case agents::ChatEventKind::ToolCall: ++out.toolCalls; break;
        case agents::ChatEventKind::Done:
            out.raw = e.text;
            out.formatError = e.formatError;
            out.completionTokens = e.usage.completionTokens;
            out.finish = e.finish;
            break;
        case agents::ChatEventKind::Error: failed = true; break;
        default: break;
        }
    });
    if (!turn) return std::nullopt;
    (*turn)->wait();
    if (failed) return std::nullopt;
    return out;
}

// An agent's turn (no tools) through BackendAgentModel, pieces from TurnRequest::onEvent.
std::optional<std::pair<TurnText, agents::AgentTurn>> agentTurn(agents::AgentModel& model) {
    agents::TurnRequest request;
    request.agent = "solo";
    request.messages = conversation();
    request.maxTokens = kMaxTokens;
    TurnText streamed;
    request.onEvent = [&](const agents::TurnEvent& e) {
        if (e.kind == agents::TurnEventKind::Reasoning) streamed.reasoning += e.text;
        if (e.kind == agents::TurnEventKind::Content) streamed.content += e.text;
        if (e.kind == agents::TurnEventKind::ToolCall) ++streamed.toolCalls;
    };
    auto turn = model.generate(request);
    if (!turn) {
        qWarning("agent turn: %s", turn.error().message.c_str());
        return std::nullopt;
    }
    streamed.completionTokens = turn->usage.completionTokens;
    return std::make_pair(streamed, *turn);
}

// The window's turn: submitChat's structured signals.
std::optional<TurnText> windowTurn(EngineBridge& bridge, engine::ChatMode mode) {
    ChatSubmission submission;
    submission.messages = conversation();
    submission.mode = mode;
    submission.maxTokens = kMaxTokens;
    submission.temperature = 0;
    QSignalSpy deltas(&bridge, &EngineBridge::turnDelta);
    QSignalSpy calls(&bridge, &EngineBridge::toolCallStarted);
    QSignalSpy finished(&bridge, &EngineBridge::generationFinished);
    QSignalSpy failed(&bridge, &EngineBridge::generationFailed);
    const quint64 id = bridge.submitChat(submission);
    if (!finished.wait(30000) || !failed.isEmpty()) return std::nullopt;
    TurnText out;
    for (const auto& args : deltas) {
        if (args.at(0).toULongLong() != id) continue;
        out.reasoning += args.at(1).toString().toStdString();
        out.content += args.at(2).toString().toStdString();
    }
    out.toolCalls = int(calls.size());
    const auto stats = finished.first().at(1).value<GenerationStats>();
    out.raw = stats.text.toStdString();
    out.formatError = stats.formatError.toStdString();
    out.completionTokens = stats.completionTokens;
    out.finish = stats.finish;
    return out;
}

// The AgentTurn BackendAgentModel must make of `direct`: what streamed, calling no tool (the
// turns here offer none), with the direct turn's usage and ending.
void compareAgentTurn(const agents::AgentTurn& turn, const TurnText& direct) {
    QCOMPARE(q(turn.reasoning), q(direct.reasoning));
    QCOMPARE(q(turn.content), q(direct.content));
    QVERIFY(turn.toolCalls.empty());
    QCOMPARE(turn.usage.completionTokens, direct.completionTokens);
    QCOMPARE(turn.truncated, direct.finish == agents::TurnFinish::Length);
    QCOMPARE(q(turn.formatError), q(direct.formatError));
}

void compareStreams(const TurnText& a, const TurnText& b) {
    QCOMPARE(q(a.reasoning), q(b.reasoning));
    QCOMPARE(q(a.content), q(b.content));
    QCOMPARE(a.toolCalls, b.toolCalls);
    QCOMPARE(a.completionTokens, b.completionTokens);
}

}  // namespace

class TestTurnParity : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_model;
    std::optional<EngineBridge> m_bridge;
    std::shared_ptr<agents::LocalChatBackend> m_copy;

private slots:
    void initTestCase() {
        m_model = tiny_model::write(m_dir);
        QVERIFY(!m_model.isEmpty());
        m_bridge.emplace();
        QVERIFY(tiny_model::load(*m_bridge, m_model));
        QVERIFY(m_bridge->loadedModel().backend);
        // The copy: the same files loaded again, as tiny_model::load loads them.
        const std::string path = m_model.toStdString();
        auto tokenizer = engine::Tokenizer::forModel(path);
        QVERIFY(tokenizer.has_value());
        auto weights = engine::openModel(path);
        QVERIFY(weights.has_value());
        auto options = modelOptionsFor(QStringLiteral("cpu"), 1);
        QVERIFY(options.has_value());
        auto model = engine::Model::load(std::move(*weights), *options);
        QVERIFY(model.has_value());
        engine::GenerationOptions generation;
        generation.maxContext = 1024;
        auto service = std::make_shared<engine::GenerationService>(std::move(*model), generation, *tokenizer);
        m_copy = std::make_shared<agents::LocalChatBackend>(service, *tokenizer, "copy");
    }

    void theSameConversationGivesTheSameTurnThroughEveryDoor_data() {
        QTest::addColumn<int>("mode");
        QTest::newRow("chat") << int(engine::ChatMode::Chat);
        QTest::newRow("thinking") << int(engine::ChatMode::Thinking);
    }

    void theSameConversationGivesTheSameTurnThroughEveryDoor() {
        QFETCH(int, mode);
        const auto chatMode = static_cast<engine::ChatMode>(mode);
        auto direct = directTurn(*m_copy, chatMode, greedy());
        QVERIFY(direct.has_value());
        QVERIFY(direct->completionTokens > 0);
        QVERIFY(!direct->raw.empty());
        // Each mode exercises its own stream: the answer in chat, the reasoning when thinking.
        QVERIFY(chatMode == engine::ChatMode::Chat ? !direct->content.empty() : !direct->reasoning.empty());

        auto window = windowTurn(*m_bridge, chatMode);
        QVERIFY(window.has_value());
        compareStreams(*window, *direct);
        if (QTest::currentTestFailed()) return;
        QCOMPARE(q(window->raw), q(direct->raw));
        QCOMPARE(q(window->formatError), q(direct->formatError));
        QCOMPARE(int(window->finish), int(direct->finish));

        agents::BackendAgentModelOptions options;
        options.mode = chatMode;
        options.sampling = greedy();
        agents::BackendAgentModel agent(m_copy, options);
        auto viaAgent = agentTurn(agent);
        QVERIFY(viaAgent.has_value());
        compareStreams(viaAgent->first, *direct);
        compareAgentTurn(viaAgent->second, *direct);
        if (QTest::currentTestFailed()) return;

        // The conversation view's turn, built by ChatController from the bridge's signals (at
        // the session's sampling: its temperature, and a fixed seed instead of the random
        // default), is the direct turn's at the same settings.
        ChatController chat(&*m_bridge);
        chat.setMode(chatMode);
        SamplingSettings fixed;
        fixed.randomSeed = false;
        fixed.seed = 4242;
        fixed.maxTokens = kMaxTokens;
        chat.setSampling(fixed);
        chat.setContextText(QString::fromUtf8(kSystem));
        QSignalSpy finished(&chat, &ChatController::finished);
        chat.send(QString::fromUtf8(kUser));
        QVERIFY(finished.wait(30000));
        agents::ChatSampling sampling;
        sampling.temperature = float(fixed.temperature);
        sampling.seed = fixed.seed;
        sampling.maxTokens = kMaxTokens;
        auto sampled = directTurn(*m_copy, chatMode, sampling);
        QVERIFY(sampled.has_value());
        QCOMPARE(chat.turns().size(), 2);
        const ChatTurn& shown = chat.turns().last();
        QCOMPARE(shown.reasoning, q(sampled->reasoning));
        QCOMPARE(shown.content, q(sampled->content));
        QVERIFY(shown.toolCalls.isEmpty());
        QVERIFY(!shown.streaming);
    }

    // The team dock's model (engineTeamModel) takes its turns on the window's backend: with the
    // same sampling, its turn is the direct turn on the copy.
    void theTeamDocksModelRunsTheSameTurnAsADirectOne() {
        auto team = engineTeamModel(*m_bridge);
        QVERIFY(team.has_value());
        agents::ChatSampling sampling = agents::BackendAgentModelOptions{}.sampling;
        sampling.maxTokens = kMaxTokens;
        auto direct = directTurn(*m_copy, engine::ChatMode::Chat, sampling);
        QVERIFY(direct.has_value());
        auto viaTeam = agentTurn(*team->model);
        QVERIFY(viaTeam.has_value());
        compareStreams(viaTeam->first, *direct);
        compareAgentTurn(viaTeam->second, *direct);
    }

    void cleanupTestCase() {
        m_bridge.reset();
        m_copy.reset();
    }
};

QTEST_GUILESS_MAIN(TestTurnParity)
#include "test_turn_parity.moc"
