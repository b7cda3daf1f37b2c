// EngineBridge's chat turns: one code path for a local and a remote model. A submission becomes
// one agents::ChatBackendRequest, started on the loaded backend from the worker thread (a local
// backend renders and tokenizes the prompt there, never on the GUI thread); the turn's
// ChatEvents are gathered in its Stream on the backend's thread and handed to the GUI thread as
// structured signals, at most one queued flush per request at a time.

#include <utility>

#include "atelier/base/log.h"
#include "engine_bridge_stream.h"

namespace atelier::ui {

namespace {

QString qtText(const std::string& s) { return QString::fromStdString(s); }

GenerationStats statsOf(const agents::ChatEvent& done, double firstTokenMs) {
    GenerationStats s;
    s.finish = done.finish;
    s.cut = done.cut;
    s.formatError = qtText(done.formatError);
    s.promptTokens = done.usage.promptTokens;
    s.cachedTokens = done.usage.cachedTokens;
    s.completionTokens = done.usage.completionTokens;
    s.prefillTokPerS = done.usage.prefillTokPerS;
    s.decodeTokPerS = done.usage.decodeTokPerS;
    s.firstTokenMs = firstTokenMs;
    s.text = qtText(done.text);
    return s;
}

}  // namespace

quint64 EngineBridge::submitChat(const ChatSubmission& submission) {
    const quint64 id = m_nextId++;
    auto stream = std::make_shared<Stream>();
    m_streams.insert(id, stream);
    auto fail = [this, id](const QString& why) {
        QMetaObject::invokeMethod(this, [this, id, why] {
            finishRequest(id);
            emit generationFailed(id, why);
        }, Qt::QueuedConnection);
    };
    std::shared_ptr<agents::ChatBackend> backend = m_loadedModel.backend;
    if (!backend) {
        fail(tr("No model is loaded"));
        return id;
    }
    agents::ChatBackendRequest request;
    request.messages = submission.messages;
    request.mode = submission.mode;
    request.sampling.temperature = submission.temperature;
    request.sampling.maxTokens = submission.maxTokens;
    request.sampling.seed = submission.seed;
    request.sampling.topP = submission.topP;
    request.sampling.minP = submission.minP;
    runOnWorker([this, id, stream, backend, fail, request = std::move(request)]() mutable {
        stream->submitted = Clock::now();  // before start(): the sink reads it
        auto turn = backend->start(std::move(request), sinkFor(id, stream));
        if (!turn) {
            atelier::logger("ui")->warn("chat turn not started: {}", turn.error().message);
            return fail(qtText(turn.error().message));
        }
        stream->adopt(std::move(backend), std::shared_ptr<agents::TurnHandle>(std::move(*turn)));
    });
    return id;
}

// Runs on the backend's thread: gathers the text and tool calls in `stream` and posts the
// signals. Events come in order, the last one Done or Error.
agents::ChatEventSink EngineBridge::sinkFor(quint64 id, std::shared_ptr<Stream> stream) {
    return [this, id, stream](const agents::ChatEvent& e) {
        using K = agents::ChatEventKind;
        switch (e.kind) {
        case K::Progress:
            QMetaObject::invokeMethod(this, [this, id, done = e.progressDone, total = e.progressTotal] {
                emit prefillProgress(id, done, total);
            }, Qt::QueuedConnection);
            return;
        case K::Usage: return;  // Done carries it again
        case K::Done:
            QMetaObject::invokeMethod(this, [this, id, s = statsOf(e, stream->firstTokenMs.load())] {
                flush(id);
                finishRequest(id);
                emit generationFinished(id, s);
            }, Qt::QueuedConnection);
            return;
        case K::Error:
            QMetaObject::invokeMethod(this, [this, id, why = qtText(e.error.message)] {
                finishRequest(id);
                emit generationFailed(id, why);
            }, Qt::QueuedConnection);
            return;
        case K::Token:
        case K::ReasoningDelta:
        case K::ContentDelta:
        case K::ToolCallDelta:
        case K::ToolCall: break;
        }
        if (stream->firstTokenMs.load() < 0)
            stream->firstTokenMs = std::chrono::duration<double, std::milli>(Clock::now() - stream->submitted).count();
        std::lock_guard lock(stream->mutex);
        // A local backend reports each token; a remote one's streamed pieces stand for them.
        if (e.kind == K::Token) {
            stream->tokenEvents = true;
            ++stream->tokens;
        } else if (!stream->tokenEvents && e.kind != K::ToolCall) {
            ++stream->tokens;
        }
        if (e.kind == K::ReasoningDelta) stream->reasoning += e.text;
        if (e.kind == K::ContentDelta) stream->content += e.text;
        if (e.kind == K::ToolCallDelta || e.kind == K::ToolCall) {
            if (stream->calls.size() <= e.toolIndex) stream->calls.resize(e.toolIndex + 1);
            Stream::Call& call = stream->calls[e.toolIndex];
            if (!e.toolCall.name.empty()) call.name = e.toolCall.name;
            if (e.kind == K::ToolCall) call.arguments = e.toolCall.arguments;
            else call.arguments += e.text;
            call.changed = true;
        }
        if (std::exchange(stream->posted, true)) return;
        QMetaObject::invokeMethod(this, [this, id] { flush(id); }, Qt::QueuedConnection);
    };
}

void EngineBridge::flush(quint64 requestId) {
    auto it = m_streams.find(requestId);
    if (it == m_streams.end()) return;
    Stream& stream = **it;
    struct CallUpdate {
        int index;
        bool start;
        QString name, arguments;
    };
    std::string reasoning, content;
    int tokens = 0;
    std::vector<CallUpdate> calls;
    {
        std::lock_guard lock(stream.mutex);
        reasoning.swap(stream.reasoning);
        content.swap(stream.content);
        tokens = std::exchange(stream.tokens, 0);
        for (std::size_t i = 0; i < stream.calls.size(); ++i) {
            Stream::Call& c = stream.calls[i];
            if (!c.changed) continue;
            calls.push_back({int(i), !c.announced, qtText(c.name), qtText(c.arguments)});
            c.announced = true;
            c.changed = false;
        }
        stream.posted = false;
    }
    // Connected slots may cancel or drop requests: nothing of `it` is used from here on.
    if (tokens > 0 || !reasoning.empty() || !content.empty())
        emit turnDelta(requestId, qtText(reasoning), qtText(content), tokens);
    for (const CallUpdate& c : calls) {
        if (c.start) emit toolCallStarted(requestId, c.index, c.name);
        emit toolCallUpdated(requestId, c.index, c.arguments);
    }
}

void EngineBridge::finishRequest(quint64 requestId) {
    if (auto stream = m_streams.take(requestId)) stream->end();  // its last event came: joins at once
}

void EngineBridge::cancel(quint64 requestId) {
    if (auto it = m_streams.find(requestId); it != m_streams.end()) (*it)->cancel();
}

}  // namespace atelier::ui
