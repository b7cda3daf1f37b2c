#pragma once
// EngineBridge: the GUI's only door to the engine. It owns a worker thread (opening, loading,
// creating models, tokenizing documents and prompts) and the GenerationService of the loaded
// model (its own scheduler thread), and turns the service's callbacks into queued Qt signals
// carrying values. Token text is coalesced: however fast tokens come, at most one queued event
// per request is pending on the GUI thread, so streaming never floods the event loop.
//
// Threads: every public method is called on the GUI thread and returns at once; every signal is
// delivered on the GUI thread. The engine objects live on the worker and scheduler threads.

#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <memory>
#include <optional>
#include <vector>

#include "atelier/engine/chat_format.h"
#include "atelier/ui/model_summary.h"
#include "atelier/ui/remote_settings.h"

class QThread;

namespace atelier::engine {
class GenerationService;
class Tokenizer;
}  // namespace atelier::engine

namespace atelier::ui {

struct LoadSettings {
    int threads = 0;              // 0: QThread::idealThreadCount()
    qint64 contextTokens = 4096;  // the usable context (capped by the model's maximum)
    QString backend = QStringLiteral("auto");  // Settings' engine/backend (backend_choice.h)
    RemoteSettings remote;  // enabled: chat runs on that endpoint; nothing is loaded locally
};

struct ChatSubmission {
    std::vector<engine::ChatMessage> messages;
    engine::ChatMode mode = engine::ChatMode::Chat;
    int maxTokens = 256;
    float temperature = 0.8f;
    quint64 seed = 0;
};

struct GenerationStats {
    QString finishReason;    // "stop", "length", "context", "cancelled"
    qint64 promptTokens = 0;
    qint64 cachedTokens = 0; // prefill avoided
    qint64 completionTokens = 0;
    double prefillTokPerS = 0;
    double decodeTokPerS = 0;
    double firstTokenMs = -1;  // submit → first token; -1 when none came
    QString text;              // the whole generated text
};

// The loaded model's service and tokenizer, for a team run (TeamController). Holding it keeps
// that service alive (its scheduler running) even when another model is loaded meanwhile.
// Thread-safe: GenerationService::submit may be called from any thread; the tokenizer is
// immutable.
struct LoadedEngine {
    std::shared_ptr<engine::GenerationService> service;  // null: no model loaded
    std::shared_ptr<const engine::Tokenizer> tokenizer;
};

class EngineBridge : public QObject {
    Q_OBJECT
public:
    explicit EngineBridge(QObject* parent = nullptr);
    // Cancels every request, waits for the worker's current job and joins the scheduler.
    ~EngineBridge() override;

    bool isLoaded() const { return m_loaded; }
    // Whether chat runs on a remote endpoint (LoadSettings::remote) rather than a local model.
    bool isRemote() const { return m_remote.has_value(); }
    const ModelSummary& model() const { return m_model; }
    qint64 contextLimit() const { return m_contextLimit; }
    // The loaded model's engine (empty until loaded(), and again once a new load starts).
    LoadedEngine loadedEngine() const { return m_engineHandle; }

    // Describes a model without loading it: inspected() or inspectFailed().
    void inspect(const QString& path);
    // Loads (replacing any loaded model): loadProgress()… then loaded() or loadFailed(). With
    // settings.remote enabled, the local model is released and chat goes to the endpoint through
    // RemoteChatBackend; a URL whose host is not in its allowlist fails here, before any
    // connection. A remote model has no loadedEngine() (no team runs, no local server).
    void load(const QString& path, const LoadSettings& settings);
    // Writes a demo model (random weights, preset "tiny" or "small") into `outDir`, marked as a
    // demo: demoCreated(path) or demoFailed().
    void createDemo(const QString& preset, const QString& outDir);
    // Counts the tokens of `text` with the loaded model's tokenizer (or the built-in byte-level
    // vocabulary): tokensCounted(key, n).
    void countTokens(const QString& key, const QString& text);
    // Reads a file, PDF or folder (documentText) and counts its tokens: documentRead() or
    // documentFailed().
    void readDocument(const QString& path);
    // Renders the chat, tokenizes and submits it. Returns the request id (never 0); the outcome
    // is generationFinished() or generationFailed() with that id.
    quint64 submitChat(const ChatSubmission& submission);
    // Stops a request at its next step (it finishes with reason "cancelled").
    void cancel(quint64 requestId);

signals:
    void inspected(const atelier::ui::ModelSummary& summary);
    void inspectFailed(const QString& path, const QString& message);
    void loadProgress(int percent, const QString& stage);
    void loaded(const atelier::ui::ModelSummary& summary);
    void loadFailed(const QString& message);
    void demoCreated(const QString& path);
    void demoFailed(const QString& message);
    void tokensCounted(const QString& key, qint64 count);
    void documentRead(const QString& path, const QString& text, qint64 tokens, int files, bool truncated);
    void documentFailed(const QString& path, const QString& message);
    void prefillProgress(quint64 requestId, qint64 done, qint64 total);
    // More generated text (whole UTF-8 characters) and how many tokens it spans.
    void textStreamed(quint64 requestId, const QString& delta, int tokens);
    void generationFinished(quint64 requestId, const atelier::ui::GenerationStats& stats);
    void generationFailed(quint64 requestId, const QString& message);

private:
    struct Engine;   // the worker thread's state
    struct Stream;   // one request's coalescing buffer, shared with the scheduler thread
    void runOnWorker(std::function<void()> job);
    void flush(quint64 requestId);
    void loadRemote(const QString& path, const RemoteSettings& remote);  // engine_bridge_remote.cpp
    void submitRemote(quint64 id, std::shared_ptr<Stream> stream, const ChatSubmission& submission);
    static qint64 tokenCount(Engine& engine, const QString& text);  // worker thread

    QThread* m_thread = nullptr;
    QObject* m_worker = nullptr;            // lives on m_thread; jobs run in its context
    std::shared_ptr<Engine> m_engine;       // touched only by jobs on m_thread (and ~EngineBridge)
    QHash<quint64, std::shared_ptr<Stream>> m_streams;  // GUI thread
    quint64 m_nextId = 1;
    bool m_loaded = false;
    ModelSummary m_model;
    qint64 m_contextLimit = 0;
    LoadedEngine m_engineHandle;  // GUI thread copy of the worker's service and tokenizer
    std::optional<RemoteSettings> m_remote;  // GUI thread: set while a remote model is "loaded"
    QHash<quint64, std::shared_ptr<agents::ChatTurn>> m_remoteTurns;  // GUI thread: running turns
};

}  // namespace atelier::ui

Q_DECLARE_METATYPE(atelier::ui::GenerationStats)
