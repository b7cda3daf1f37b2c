#pragma once
// ChatController: one conversation — its turns, the request that streams the next assistant
// turn through the EngineBridge (its reasoning, answer and tool calls as the turn API reports
// them), Stop, edit-and-regenerate, and persistence to the session store through queued
// signals (the MainWindow connects them to the StoreWorker). GUI thread only; never waits.
//
// Each session has its SamplingSettings (stored with it); every turn is generated with them,
// a random seed drawn per reply unless the settings fix one, and each reply keeps the settings
// it was made with (ChatTurn::sampling). A user message is stored only once its answer came:
// a send that fails (refused, context overflow) leaves no unanswered question behind, and the
// text comes back through sendFailed() for the message box.

#include <QList>
#include <QObject>
#include <QSet>
#include <QString>

#include "atelier/engine/chat_format.h"
#include "atelier/ui/chat_turn.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/sampling_settings.h"

namespace atelier::ui {

class ChatController : public QObject {
    Q_OBJECT
public:
    explicit ChatController(EngineBridge* bridge, QObject* parent = nullptr);
    ~ChatController() override;

    const QList<ChatTurn>& turns() const { return m_turns; }
    // The messages the next turn sends: one system message (the session's system prompt, then
    // the attached documents' text), then the finished turns.
    std::vector<engine::ChatMessage> chatMessages() const;
    qint64 sessionId() const { return m_sessionId; }
    bool isBusy() const { return m_requestId != 0; }
    engine::ChatMode mode() const { return m_mode; }
    void setMode(engine::ChatMode mode) { m_mode = mode; }
    void setMaxTokens(int maxTokens) { m_sampling.maxTokens = maxTokens; }
    const SamplingSettings& sampling() const { return m_sampling; }
    // Whether Regenerate and Edit have something to work on: a user message, and no answer
    // being generated.
    bool canRegenerate() const;
    // Text placed in a system message before the conversation (attached documents).
    void setContextText(const QString& text) { m_contextText = text; }

public slots:
    // Starts a new, empty conversation (not stored until its first message).
    void newSession();
    // Shows a stored session (turns loaded by the store worker).
    void showSession(qint64 sessionId, const QList<atelier::ui::ChatTurn>& turns);
    // Appends a user message and generates the answer. Ignored while busy or empty.
    void send(const QString& text);
    // Stops the answer being generated; what came so far is kept.
    void stop();
    // Replaces the last user message (dropping the answers after it) and generates again.
    void editLastUserMessage(const QString& text);
    // Drops the last assistant answer and generates a new one.
    void regenerate();
    void onSessionCreated(quint64 ticket, qint64 sessionId);
    void onMessageAdded(quint64 ticket, qint64 messageId);
    // The settings for this session's next turns (stored with the session).
    void setSampling(const atelier::ui::SamplingSettings& settings);
    // The stored settings of session `sessionId`, which showSession() applies ("" defaults).
    void onSessionSamplingLoaded(qint64 sessionId, const QString& json);

signals:
    void turnsChanged();
    void busyChanged(bool busy);
    void prefillProgress(qint64 done, qint64 total);
    void finished(const atelier::ui::GenerationStats& stats);
    void failed(const QString& message);
    // A send failed before any answer: its user message was taken out again; `text` is it.
    void sendFailed(const QString& text, const QString& message);
    // Another conversation is shown (newSession, showSession): per-session state starts over.
    void sessionChanged();
    void samplingChanged(const atelier::ui::SamplingSettings& settings);
    // Store request: session `sessionId`'s sampling settings (SamplingSettings JSON).
    void sessionSamplingRequested(qint64 sessionId, const QString& json);
    // Store requests (queued to the StoreWorker).
    void createSessionRequested(quint64 ticket, const QString& title, const QString& model);
    void addMessageRequested(quint64 ticket, qint64 sessionId, const atelier::ui::ChatTurn& turn);
    void deleteMessageRequested(qint64 messageId);

private:
    void startGeneration();
    void abandonRequest();
    void persist(int turnIndex);
    void dropTurnsFrom(int index);
    // The streaming turn, when `requestId` is the request it streams from; else null.
    ChatTurn* streamingTurn(quint64 requestId);
    void onDelta(quint64 requestId, const QString& reasoning, const QString& content);
    void onToolCall(quint64 requestId, int index, const QString* name, const QString* arguments);
    void onFinished(quint64 requestId, const GenerationStats& stats);
    void onFailed(quint64 requestId, const QString& message);

    EngineBridge* m_bridge;
    QList<ChatTurn> m_turns;
    qint64 m_sessionId = 0;
    quint64 m_sessionTicket = 0;           // pending createSession, 0 when none
    QList<QPair<quint64, int>> m_unsaved;  // (ticket, turn index) waiting for the session id
    QHash<quint64, int> m_pendingIds;      // ticket -> turn index, until the store names its id
    QSet<quint64> m_dropWhenStored;        // tickets of turns dropped before the store named them
    quint64 m_nextTicket = 1;
    quint64 m_requestId = 0;               // the streaming request, 0 when idle
    engine::ChatMode m_mode = engine::ChatMode::Chat;
    SamplingSettings m_sampling;
    // The stored settings the next showSession() of that session applies.
    qint64 m_loadedSamplingSession = 0;
    SamplingSettings m_loadedSampling;
    // The user message that send() added and that waits for its answer before it is stored;
    // -1 when none.
    int m_unstoredUser = -1;
    QString m_contextText;
};

}  // namespace atelier::ui
