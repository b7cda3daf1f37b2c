// EngineBridge's remote "load" (LoadSettings::remote): the local model is released and the
// loaded backend becomes a RemoteChatBackend on the OpenAI-compatible endpoint, so chat and
// team runs take their turns there through the same turn API as a local model's.
// Threads: loadRemote on the GUI thread; the release runs on the worker.

#include "atelier/agents/remote_chat_backend.h"
#include "atelier/base/log.h"
#include "engine_bridge_stream.h"

namespace atelier::ui {

void EngineBridge::loadRemote(const QString& path, const RemoteSettings& remote) {
    if (auto ok = remote.check(); !ok) {
        const QString why = tr("Remote endpoint refused: %1").arg(QString::fromStdString(ok.error().message));
        atelier::logger("ui")->error("{}", why.toStdString());
        QMetaObject::invokeMethod(this, [this, why] { emit loadFailed(why); }, Qt::QueuedConnection);
        return;
    }
    auto workerState = m_workerState;
    runOnWorker([this, workerState, path, remote] {
        QMetaObject::invokeMethod(this, [this] { emit loadProgress(20, tr("Releasing the local model")); },
                                  Qt::QueuedConnection);
        workerState->service.reset();
        workerState->tokenizer.reset();
        ModelSummary s = inspectModel(path).value_or(ModelSummary{});
        s.path = path;
        s.demo = false;  // the weights that answer are the endpoint's
        const QString served = remote.model.trimmed().isEmpty() ? s.name : remote.model.trimmed();
        s.name = tr("%1 (remote: %2)").arg(served.isEmpty() ? tr("model") : served, remote.url.trimmed());
        atelier::logger("ui")->info("chat goes to the remote endpoint {}", remote.url.toStdString());
        auto backend = std::make_shared<agents::RemoteChatBackend>(remote.endpoint(), remote.allowlist());
        QMetaObject::invokeMethod(this, [this, s, remote, backend] {
            commitLoad(LoadedModel{backend, nullptr, nullptr}, s, s.maxContext, remote);
        }, Qt::QueuedConnection);
    });
}

agents::HostAllowlist EngineBridge::allowedHosts() const {
    if (m_remote) return m_remote->allowlist();
    if (!m_loaded || m_model.path.isEmpty()) return {};
    return RemoteSettings::loadFor(m_model.path).allowlist();
}

}  // namespace atelier::ui
