#include "atelier/ui/chat_controller.h"

#include <QRandomGenerator>

namespace atelier::ui {

ChatController::ChatController(EngineBridge* bridge, QObject* parent)
    : QObject(parent), m_bridge(bridge) {
    connect(bridge, &EngineBridge::turnDelta, this,
            [this](quint64 id, const QString& reasoning, const QString& content, int) {
                onDelta(id, reasoning, content);
            });
    connect(bridge, &EngineBridge::toolCallStarted, this,
            [this](quint64 id, int index, const QString& name) { onToolCall(id, index, &name, nullptr); });
    connect(bridge, &EngineBridge::toolCallUpdated, this,
            [this](quint64 id, int index, const QString& args) { onToolCall(id, index, nullptr, &args); });
    connect(bridge, &EngineBridge::generationFinished, this, &ChatController::onFinished);
    connect(bridge, &EngineBridge::generationFailed, this, &ChatController::onFailed);
    connect(bridge, &EngineBridge::prefillProgress, this, [this](quint64 id, qint64 done, qint64 total) {
        if (id == m_requestId) emit prefillProgress(done, total);
    });
}

ChatController::~ChatController() = default;

// Switching conversations abandons the answer being generated: it is cancelled and its late
// events are ignored, so that nothing of it lands in the next conversation.
void ChatController::abandonRequest() {
    if (m_requestId == 0) return;
    m_bridge->cancel(m_requestId);
    m_requestId = 0;
    emit busyChanged(false);
}

// A new session keeps the sampling settings of the one before (like a preset); a stored one
// comes with its own.
void ChatController::newSession() {
    abandonRequest();
    m_turns.clear();
    m_sessionId = 0;
    m_sessionTicket = 0;
    m_unsaved.clear();
    m_pendingIds.clear();
    m_unstoredUser = -1;
    emit turnsChanged();
    emit sessionChanged();
}

void ChatController::showSession(qint64 sessionId, const QList<ChatTurn>& turns) {
    abandonRequest();
    m_turns = turns;
    m_sessionId = sessionId;
    m_sessionTicket = 0;
    m_unsaved.clear();
    m_pendingIds.clear();
    m_unstoredUser = -1;
    m_sampling = m_loadedSamplingSession == sessionId ? m_loadedSampling : SamplingSettings{};
    m_loadedSamplingSession = 0;
    emit samplingChanged(m_sampling);
    emit turnsChanged();
    emit sessionChanged();
}

void ChatController::onSessionSamplingLoaded(qint64 sessionId, const QString& json) {
    m_loadedSamplingSession = sessionId;
    m_loadedSampling = SamplingSettings::fromJson(json);
}

void ChatController::setSampling(const SamplingSettings& settings) {
    if (settings == m_sampling) return;
    m_sampling = settings;
    if (m_sessionId != 0) emit sessionSamplingRequested(m_sessionId, m_sampling.toJson());
    emit samplingChanged(m_sampling);
}

bool ChatController::canRegenerate() const {
    if (isBusy()) return false;
    for (const ChatTurn& t : m_turns)
        if (t.role == engine::ChatRole::User) return true;
    return false;
}

void ChatController::send(const QString& text) {
    if (isBusy() || text.trimmed().isEmpty()) return;
    ChatTurn user;
    user.role = engine::ChatRole::User;
    user.content = text;
    m_turns.append(user);
    m_unstoredUser = int(m_turns.size()) - 1;  // stored with its answer (onFinished)
    startGeneration();
}

void ChatController::stop() {
    if (m_requestId != 0) m_bridge->cancel(m_requestId);
}

void ChatController::editLastUserMessage(const QString& text) {
    if (isBusy() || text.trimmed().isEmpty()) return;
    for (int i = int(m_turns.size()) - 1; i >= 0; --i) {
        if (m_turns[i].role != engine::ChatRole::User) continue;
        dropTurnsFrom(i);
        send(text);
        return;
    }
    send(text);
}

void ChatController::regenerate() {
    if (isBusy()) return;
    int i = int(m_turns.size()) - 1;
    while (i >= 0 && m_turns[i].role != engine::ChatRole::User) --i;
    if (i < 0) return;
    dropTurnsFrom(i + 1);
    startGeneration();
}

void ChatController::dropTurnsFrom(int index) {
    while (m_turns.size() > index) {
        const ChatTurn t = m_turns.takeLast();
        if (t.storeId != 0) emit deleteMessageRequested(t.storeId);
    }
    // Writes still waiting for an id would land on turns that are gone.
    // Those already on their way to the store are deleted once it names them.
    for (auto it = m_pendingIds.begin(); it != m_pendingIds.end();) {
        if (it.value() < index) {
            ++it;
            continue;
        }
        m_dropWhenStored.insert(it.key());
        it = m_pendingIds.erase(it);
    }
    emit turnsChanged();
}

std::vector<engine::ChatMessage> ChatController::chatMessages() const {
    std::vector<engine::ChatMessage> out;
    // One system message: the session's system prompt, then the attached documents.
    QString systemText = m_sampling.systemPrompt.trimmed();
    if (!m_contextText.isEmpty())
        systemText += (systemText.isEmpty() ? QString() : QStringLiteral("\n\n")) + m_contextText;
    if (!systemText.isEmpty()) {
        engine::ChatMessage system;
        system.role = engine::ChatRole::System;
        system.content = systemText.toStdString();
        out.push_back(std::move(system));
    }
    for (const ChatTurn& t : m_turns) {
        if (t.streaming) continue;
        engine::ChatMessage m;
        m.role = t.role;
        m.content = t.content.toStdString();
        if (m.role == engine::ChatRole::Assistant && !t.reasoning.isEmpty())
            m.reasoningContent = t.reasoning.toStdString();
        for (const auto& c : t.toolCalls)
            m.toolCalls.push_back({{}, c.name.toStdString(), c.arguments.toStdString()});
        out.push_back(std::move(m));
    }
    return out;
}

void ChatController::startGeneration() {
    ChatSubmission submission;
    submission.messages = chatMessages();
    submission.mode = m_mode;
    submission.maxTokens = m_sampling.maxTokens;
    submission.temperature = float(m_sampling.temperature);
    submission.topP = float(m_sampling.topP);
    submission.minP = float(m_sampling.minP);
    // The seed is drawn here, not by the backend, so that the reply records the one it used.
    submission.seed = m_sampling.randomSeed ? QRandomGenerator::global()->generate64() : m_sampling.seed;
    ChatTurn answer;
    answer.role = engine::ChatRole::Assistant;
    answer.streaming = true;
    answer.model = m_bridge->model().displayName();  // its own label, whatever is loaded later
    answer.sampling = samplingRecord(m_sampling, submission.seed, m_bridge->model().path);
    m_turns.append(answer);
    m_requestId = m_bridge->submitChat(submission);
    emit turnsChanged();
    emit busyChanged(true);
}

ChatTurn* ChatController::streamingTurn(quint64 requestId) {
    if (requestId != m_requestId || m_turns.isEmpty() || !m_turns.last().streaming) return nullptr;
    return &m_turns.last();
}

void ChatController::onDelta(quint64 requestId, const QString& reasoning, const QString& content) {
    ChatTurn* turn = streamingTurn(requestId);
    if (!turn) return;
    turn->reasoning += reasoning;
    turn->content += content;
    emit turnsChanged();
}

void ChatController::onToolCall(quint64 requestId, int index, const QString* name, const QString* arguments) {
    ChatTurn* turn = streamingTurn(requestId);
    if (!turn || index < 0) return;
    while (turn->toolCalls.size() <= index) turn->toolCalls.append(ToolCallView{});
    if (name) turn->toolCalls[index].name = *name;
    if (arguments) turn->toolCalls[index].arguments = *arguments;
    emit turnsChanged();
}

void ChatController::onFinished(quint64 requestId, const GenerationStats& stats) {
    if (requestId != m_requestId) return;
    m_requestId = 0;
    if (!m_turns.isEmpty()) {
        ChatTurn& turn = m_turns.last();
        // A reply that was not chat format (a random-weight model) came as content from where
        // it failed, and calls no tool, as the team runtime takes it (BackendAgentModel). A turn
        // that Stop or a limit cut short keeps what came: its "unfinished" is no format error.
        const bool ended = stats.finish == agents::TurnFinish::Stop ||
                           stats.finish == agents::TurnFinish::ToolCalls;
        if (ended && !stats.formatError.isEmpty()) turn.toolCalls.clear();
        turn.streaming = false;
        if (m_unstoredUser >= 0 && m_unstoredUser < m_turns.size() - 1) persist(m_unstoredUser);
        m_unstoredUser = -1;
        persist(int(m_turns.size()) - 1);
    }
    emit turnsChanged();
    emit busyChanged(false);
    emit finished(stats);
}

void ChatController::onFailed(quint64 requestId, const QString& message) {
    if (requestId != m_requestId) return;
    m_requestId = 0;
    if (!m_turns.isEmpty() && m_turns.last().streaming) m_turns.removeLast();
    // The question that got no answer is not kept: it goes back to the message box.
    QString unsent;
    if (m_unstoredUser >= 0 && m_unstoredUser == m_turns.size() - 1) unsent = m_turns.takeLast().content;
    m_unstoredUser = -1;
    emit turnsChanged();
    emit busyChanged(false);
    emit failed(message);
    if (!unsent.isNull()) emit sendFailed(unsent, message);
}

void ChatController::persist(int turnIndex) {
    const quint64 ticket = m_nextTicket++;
    m_pendingIds.insert(ticket, turnIndex);
    if (m_sessionId != 0) {
        emit addMessageRequested(ticket, m_sessionId, m_turns[turnIndex]);
        return;
    }
    m_unsaved.append({ticket, turnIndex});
    if (m_sessionTicket == 0) {
        m_sessionTicket = m_nextTicket++;
        const QString title = m_turns[turnIndex].content.simplified().left(60);
        emit createSessionRequested(m_sessionTicket, title, m_bridge->model().path);
    }
}

void ChatController::onSessionCreated(quint64 ticket, qint64 sessionId) {
    if (ticket != m_sessionTicket) return;
    m_sessionTicket = 0;
    m_sessionId = sessionId;
    emit sessionSamplingRequested(sessionId, m_sampling.toJson());
    for (const auto& [messageTicket, index] : m_unsaved)
        if (m_pendingIds.contains(messageTicket) && index < m_turns.size())
            emit addMessageRequested(messageTicket, sessionId, m_turns[index]);
    m_unsaved.clear();
}

void ChatController::onMessageAdded(quint64 ticket, qint64 messageId) {
    if (m_dropWhenStored.remove(ticket)) return emit deleteMessageRequested(messageId);
    const auto it = m_pendingIds.find(ticket);
    if (it == m_pendingIds.end()) return;
    if (it.value() < m_turns.size()) m_turns[it.value()].storeId = messageId;
    m_pendingIds.erase(it);
}

}  // namespace atelier::ui
