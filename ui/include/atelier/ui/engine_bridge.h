#pragma once
// EngineBridge: the GUI's only door to the engine. It owns a worker thread (opening, loading,
// creating models, tokenizing documents, starting turns) and the loaded model's turn backend
// (agents::ChatBackend, the one turn API): a LocalChatBackend that owns the model's
// GenerationService (its own scheduler thread), or a RemoteChatBackend on an OpenAI-compatible
// endpoint. A chat turn runs on that backend, local or remote alike, and its ChatEvents come
// back as queued Qt signals carrying values: reasoning and answer text, tool calls, prefill
// progress, and the finish with its usage. Streamed pieces are coalesced: however fast they
// come, at most one queued flush per request is pending on the GUI thread, so streaming never
// floods the event loop.
//
// Threads: every public method is called on the GUI thread and returns at once; every signal is
// delivered on the GUI thread. The engine objects live on the worker and scheduler threads (a
// remote turn on its reader thread).

#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <memory>
#include <optional>
#include <vector>

#include "atelier/agents/chat_backend.h"
#include "atelier/engine/chat_format.h"
#include "atelier/engine/checkpoint_store.h"
#include "atelier/engine/model_fingerprint.h"
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
    float topP = 1.0f;  // 1: off
    float minP = 0.0f;  // 0: off
};

// How a turn ended (the Done event of the turn API).
struct GenerationStats {
    agents::TurnFinish finish = agents::TurnFinish::Stop;
    agents::TurnCut cut = agents::TurnCut::None;  // Length and ContextFull: where it was cut
    // The reply was not well-formed chat format ("" when it was); see ChatController.
    QString formatError;
    qint64 promptTokens = 0;
    qint64 cachedTokens = 0; // prefill avoided
    qint64 completionTokens = 0;
    double prefillTokPerS = 0;  // 0: not known (a remote endpoint)
    double decodeTokPerS = 0;
    double firstTokenMs = -1;  // submit → first generated piece; -1 when none came
    QString text;              // the whole raw text of the turn (local backends; "" remote)

    // "stop", "tool_calls", "length", "context", "cancelled"
    QString finishName() const { return QString::fromLatin1(agents::turnFinishName(finish)); }
};

// The loaded model for a team run (TeamController) and the local server. Holding it keeps the
// backend (and a local model's service, its scheduler running) alive even when another model
// is loaded meanwhile. Thread-safe: ChatBackend::start and GenerationService::submit may be
// called from any thread; the tokenizer is immutable.
struct LoadedModel {
    std::shared_ptr<agents::ChatBackend> backend;  // null: no model loaded
    // A local model's service and tokenizer (the backend shares the service); null when the
    // model runs on a remote endpoint.
    std::shared_ptr<engine::GenerationService> service;
    std::shared_ptr<const engine::Tokenizer> tokenizer;
    // The local model's checkpoint identity (its files, config and numerics), for named
    // checkpoints; unset for a remote endpoint.
    std::optional<engine::ModelFingerprint> fingerprint;
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
    // The loaded model's backend (empty until loaded(); replaced when the next load succeeds); a
    // remote model has a backend but no local service or tokenizer.
    LoadedModel loadedModel() const { return m_loadedModel; }
    // The hosts the user allowed for the loaded model: the allowlist of the remote settings it
    // was loaded with, or for a local model the remote settings remembered for its path (the
    // model dialog's allowed hosts); empty when nothing is loaded. Servers that a team file
    // names are checked against it. Reads QSettings.
    agents::HostAllowlist allowedHosts() const;

    // Describes a model without loading it: inspected() or inspectFailed().
    void inspect(const QString& path);
    // Loads (replacing any loaded model): loadProgress()… then loaded() or loadFailed(). The
    // loaded model stays loaded and usable until the new one is ready, so a load that fails
    // keeps it (unless the memory free could not hold both and it was released to make room:
    // then isLoaded() is false when loadFailed() comes). With
    // settings.remote enabled, the local model is released and chat goes to the endpoint through
    // RemoteChatBackend; a URL whose host is not in its allowlist fails here, before any
    // connection. A remote model's loadedModel() is its RemoteChatBackend: chat and team runs
    // go to the endpoint; the local server has nothing to serve.
    void load(const QString& path, const LoadSettings& settings);
    // The data folder's checkpoint store (`kvCacheDb`, as DataPaths::kvCacheDb) becomes every
    // later local load's second prefix cache, as it is for the CLI's chat and generate: a
    // context prefilled once (in the window, by the CLI or as a named checkpoint) is taken from
    // disk instead of prefilled again, and the window's own prefills are kept there under
    // `policy` (budget, strategy). Empty: memory prefix cache only.
    void setCheckpointCache(const QString& kvCacheDb, const engine::CheckpointPolicy& policy);
    // The plan `atelier-cli model plan` prints for `path` at `contextTokens` (memory resident,
    // expert cache, predicted tok/s), on a thread of its own: the first plan on a machine
    // measures the memory and disk (a few seconds), later ones read machine_probe.json in
    // `dataDir` (empty: measure, cache nothing). planned() or planFailed().
    void plan(const QString& path, qint64 contextTokens, const QString& dataDir);
    // Writes a demo model (random weights, preset "tiny" or "small") into `outDir`, marked as a
    // demo: demoCreated(path) or demoFailed().
    void createDemo(const QString& preset, const QString& outDir);
    // Counts the tokens of `text` with the loaded model's tokenizer (or the built-in byte-level
    // vocabulary): tokensCounted(key, n).
    void countTokens(const QString& key, const QString& text);
    // Reads a file, PDF or folder (documentText) and counts its tokens: documentRead() or
    // documentFailed().
    void readDocument(const QString& path);
    // Starts a turn of the conversation on the loaded backend (the worker renders and
    // tokenizes a local model's prompt). Returns the request id (never 0); turnDelta(),
    // toolCallStarted()/toolCallUpdated() and prefillProgress() follow, and the outcome is
    // generationFinished() or generationFailed() with that id.
    quint64 submitChat(const ChatSubmission& submission);
    // Stops a request at its next step (it finishes with TurnFinish::Cancelled).
    void cancel(quint64 requestId);

signals:
    void inspected(const atelier::ui::ModelSummary& summary);
    void inspectFailed(const QString& path, const QString& message);
    void loadProgress(int percent, const QString& stage);
    void loaded(const atelier::ui::ModelSummary& summary);
    void loadFailed(const QString& message);
    void planned(const QString& path, qint64 contextTokens, const atelier::agents::ModelPlan& plan);
    void planFailed(const QString& path, qint64 contextTokens, const QString& message);
    void demoCreated(const QString& path);
    void demoFailed(const QString& message);
    void tokensCounted(const QString& key, qint64 count);
    void documentRead(const QString& path, const QString& text, qint64 tokens, int files, bool truncated);
    void documentFailed(const QString& path, const QString& message);
    void prefillProgress(quint64 requestId, qint64 done, qint64 total);
    // More of the turn since the last turnDelta: reasoning and answer text (whole UTF-8
    // characters) and how many tokens they span (a remote endpoint's streamed pieces count as
    // one token each).
    void turnDelta(quint64 requestId, const QString& reasoning, const QString& content, int tokens);
    // A tool call of the turn is being written: its index in the turn and its name; then its
    // arguments JSON text so far (whole once the call is complete).
    void toolCallStarted(quint64 requestId, int index, const QString& name);
    void toolCallUpdated(quint64 requestId, int index, const QString& arguments);
    // The last signal of a request: every turnDelta and tool call signal came before it.
    void generationFinished(quint64 requestId, const atelier::ui::GenerationStats& stats);
    void generationFailed(quint64 requestId, const QString& message);

private:
    struct WorkerState;   // the worker thread's state
    struct Stream;   // one request's turn and coalescing buffer (engine_bridge_stream.h)
    void runOnWorker(std::function<void()> job);
    void loadRemote(const QString& path, const RemoteSettings& remote);  // engine_bridge_remote.cpp
    // GUI thread: the loaded model is let go (its turns cancelled); then, for commitLoad, the
    // new one takes its place and loaded() is emitted.
    void dropLoaded();
    void commitLoad(const LoadedModel& handle, const ModelSummary& summary, qint64 contextLimit,
                    std::optional<RemoteSettings> remote);
    // engine_bridge_turn.cpp: the sink of a request's events (the backend's thread), and the
    // GUI thread's side of them.
    agents::ChatEventSink sinkFor(quint64 id, std::shared_ptr<Stream> stream);
    void flush(quint64 requestId);
    void finishRequest(quint64 requestId);
    static qint64 tokenCount(WorkerState& engine, const QString& text);  // worker thread

    QThread* m_thread = nullptr;
    QObject* m_worker = nullptr;            // lives on m_thread; jobs run in its context
    QThread* m_planThread = nullptr;        // plans (machine probes), apart from loads and turns
    QObject* m_planner = nullptr;           // lives on m_planThread
    QString m_kvCacheDb;                 // setCheckpointCache (GUI thread; copied into each load)
    engine::CheckpointPolicy m_kvPolicy;
    std::shared_ptr<WorkerState> m_workerState;       // touched only by jobs on m_thread (and ~EngineBridge)
    // GUI thread: the running requests, each holding its ChatTurn once the worker started it.
    QHash<quint64, std::shared_ptr<Stream>> m_streams;
    quint64 m_nextId = 1;
    bool m_loaded = false;
    ModelSummary m_model;
    qint64 m_contextLimit = 0;
    LoadedModel m_loadedModel;  // GUI thread: the loaded backend (also the worker state's)
    std::optional<RemoteSettings> m_remote;  // GUI thread: set while a remote model is "loaded"
};

}  // namespace atelier::ui

Q_DECLARE_METATYPE(atelier::ui::GenerationStats)
