// EngineBridge's remote path (LoadSettings::remote): chat through RemoteChatBackend on an
// OpenAI-compatible endpoint. The endpoint's events (reasoning, answer, usage, done) are turned
// back into the completion text of the chat format — reasoning, then "</think>", then the
// answer — so that ChatController parses a remote turn exactly as it parses a local one.
// Threads: loadRemote/submitRemote on the GUI thread; the sink runs on the turn's reader thread
// and only touches its Stream and posts events, as the local scheduler callbacks do.

#include "atelier/engine/log.h"
#include "engine_bridge_stream.h"

namespace atelier::ui {

namespace {

// Per turn, on the reader thread: the chat-format text of the events so far.
struct RemoteText {
    engine::ChatMode mode = engine::ChatMode::Chat;
    bool thinkClosed = false;

    // The text `e` adds to the turn (empty for events that add none).
    std::string textOf(const agents::ChatEvent& e) {
        using K = agents::ChatEventKind;
        const bool thinking = mode != engine::ChatMode::Chat;
        if (e.kind == K::ReasoningDelta) return thinking && !thinkClosed ? e.text : std::string();
        if (e.kind == K::ContentDelta || e.kind == K::Done) {
            std::string out;
            if (thinking && !thinkClosed) {
                out = "</think>";  // the reasoning ends where the answer (or the turn) starts
                thinkClosed = true;
            }
            return e.kind == K::ContentDelta ? out + e.text : out;
        }
        return {};
    }
};

}  // namespace

void EngineBridge::loadRemote(const QString& path, const RemoteSettings& remote) {
    if (auto ok = remote.check(); !ok) {
        const QString why = tr("Remote endpoint refused: %1").arg(QString::fromStdString(ok.error().message));
        atelier::logger("ui")->error("{}", why.toStdString());
        QMetaObject::invokeMethod(this, [this, why] { emit loadFailed(why); }, Qt::QueuedConnection);
        return;
    }
    auto engineState = m_engine;
    runOnWorker([this, engineState, path, remote] {
        QMetaObject::invokeMethod(this, [this] { emit loadProgress(20, tr("Releasing the local model")); },
                                  Qt::QueuedConnection);
        engineState->service.reset();
        engineState->tokenizer.reset();
        ModelSummary s = inspectModel(path).value_or(ModelSummary{});
        s.path = path;
        s.demo = false;  // the weights that answer are the endpoint's
        const QString served = remote.model.trimmed().isEmpty() ? s.name : remote.model.trimmed();
        s.name = tr("%1 (remote: %2)").arg(served.isEmpty() ? tr("model") : served, remote.url.trimmed());
        atelier::logger("ui")->info("chat goes to the remote endpoint {}", remote.url.toStdString());
        QMetaObject::invokeMethod(this, [this, s, remote] {
            m_remote = remote;
            m_model = s;
            m_contextLimit = s.maxContext;
            m_loaded = true;
            emit loadProgress(100, tr("Ready"));
            emit loaded(s);
        }, Qt::QueuedConnection);
    });
}

void EngineBridge::submitRemote(quint64 id, std::shared_ptr<Stream> stream, const ChatSubmission& submission) {
    agents::RemoteChatBackend backend(m_remote->endpoint(), m_remote->allowlist());
    agents::ChatBackendRequest request;
    request.messages = submission.messages;
    request.mode = submission.mode;
    request.sampling.temperature = submission.temperature;
    request.sampling.maxTokens = submission.maxTokens;
    request.sampling.seed = submission.seed;
    auto text = std::make_shared<RemoteText>();
    text->mode = submission.mode;
    auto whole = std::make_shared<std::string>();  // reader thread only, until Done
    auto sink = [this, id, stream, text, whole](const agents::ChatEvent& e) {
        using K = agents::ChatEventKind;
        if (e.kind == K::Error) {
            QMetaObject::invokeMethod(this, [this, id, why = QString::fromStdString(e.error.message)] {
                m_streams.remove(id);
                m_remoteTurns.remove(id);
                emit generationFailed(id, why);
            }, Qt::QueuedConnection);
            return;
        }
        const std::string piece = text->textOf(e);
        *whole += piece;
        if (e.kind == K::Done) {
            GenerationStats s;
            s.finishReason = QString::fromStdString(e.finishReason == "tool_calls" ? "stop" : e.finishReason);
            s.promptTokens = e.usage.promptTokens;
            s.cachedTokens = e.usage.cachedTokens;
            s.completionTokens = e.usage.completionTokens;
            s.firstTokenMs = stream->firstTokenMs.load();
            s.text = QString::fromStdString(*whole);
            QMetaObject::invokeMethod(this, [this, id, s] {
                flush(id);
                m_streams.remove(id);
                m_remoteTurns.remove(id);  // its last event is delivered: this joins at once
                emit generationFinished(id, s);
            }, Qt::QueuedConnection);
            return;
        }
        if (piece.empty()) return;
        if (stream->firstTokenMs.load() < 0)
            stream->firstTokenMs = std::chrono::duration<double, std::milli>(Clock::now() - stream->submitted).count();
        std::lock_guard lock(stream->mutex);
        stream->pending += piece;
        ++stream->pendingTokens;  // one streamed piece is about one token
        if (std::exchange(stream->posted, true)) return;
        QMetaObject::invokeMethod(this, [this, id] { flush(id); }, Qt::QueuedConnection);
    };
    stream->submitted = Clock::now();
    auto turn = backend.start(std::move(request), std::move(sink));
    if (!turn) {
        QMetaObject::invokeMethod(this, [this, id, why = QString::fromStdString(turn.error().message)] {
            m_streams.remove(id);
            emit generationFailed(id, why);
        }, Qt::QueuedConnection);
        return;
    }
    m_remoteTurns.insert(id, std::shared_ptr<agents::ChatTurn>(std::move(*turn)));
}

}  // namespace atelier::ui
