#include "store_worker.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include "atelier/agents/session_export.h"
#include "atelier/agents/session_store.h"
#include "atelier/ui/tool_call_json.h"

namespace atelier::ui {
namespace {

std::string utf8(const QString& s) { return s.toStdString(); }
QString qs(const std::string& s) { return QString::fromStdString(s); }

// A reply's sampling record (JSON text) with the display name of the model that wrote it
// ("model_name"), so that a reopened session labels each reply with its own model (#19).
QString withModelName(const QString& sampling, const QString& model) {
    if (model.isEmpty()) return sampling;
    QJsonObject o = QJsonDocument::fromJson(sampling.toUtf8()).object();
    o[QStringLiteral("model_name")] = model;
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QString modelNameOf(const QString& sampling) {
    if (sampling.isEmpty()) return {};
    return QJsonDocument::fromJson(sampling.toUtf8()).object().value(QStringLiteral("model_name")).toString();
}

}  // namespace

StoreWorker::StoreWorker() = default;
StoreWorker::~StoreWorker() = default;

void StoreWorker::open(const QString& databasePath) {
    auto store = agents::SessionStore::open(databasePath.toStdString());
    if (!store) {
        emit failed(qs(store.error().message));
        return;
    }
    m_store = std::make_unique<agents::SessionStore>(std::move(*store));
    if (auto version = m_store->database().queryInt("PRAGMA data_version")) m_dataVersion = *version;
    reload();
}

void StoreWorker::reload() {
    if (!m_store) return;
    auto list = m_store->listSessions();
    if (!list) {
        emit failed(qs(list.error().message));
        return;
    }
    QList<SessionRow> rows;
    for (const auto& s : *list) {
        SessionRow r;
        r.id = s.session.id;
        r.title = qs(s.session.title);
        r.folder = qs(s.session.folder);
        r.kind = qs(std::string(agents::toString(s.session.kind)));
        r.favourite = s.session.favourite;
        r.updatedMs = s.session.updatedMs;
        r.messageCount = s.messageCount;
        rows.append(r);
    }
    emit sessionsLoaded(rows);
}

void StoreWorker::createSession(quint64 ticket, const QString& title, const QString& model) {
    if (!m_store) return emit failed(tr("No session store"));
    agents::Session s;
    s.title = utf8(title);
    s.model = utf8(model);
    auto id = m_store->createSession(s);
    if (!id) return emit failed(qs(id.error().message));
    emit sessionCreated(ticket, *id);
    reload();
}

void StoreWorker::addMessage(quint64 ticket, qint64 sessionId, const ChatTurn& turn) {
    if (!m_store) return;
    agents::Message m;
    m.sessionId = sessionId;
    m.role = engine::chatRoleName(turn.role);
    m.content = utf8(turn.content);
    m.reasoning = utf8(turn.reasoning);
    m.toolCalls = toolCallsToJson(turn.toolCalls);
    m.agent = utf8(turn.agent);
    m.sampling = utf8(withModelName(turn.sampling, turn.model));
    auto id = m_store->addMessage(m);
    if (!id) return emit failed(qs(id.error().message));
    emit messageAdded(ticket, *id);
    reload();
}

void StoreWorker::deleteMessage(qint64 messageId) {
    if (!m_store) return;
    if (auto r = m_store->deleteMessage(messageId); !r) emit failed(qs(r.error().message));
}

void StoreWorker::loadSession(qint64 sessionId) {
    if (!m_store) return;
    auto messages = m_store->messages(sessionId);
    if (!messages) return emit failed(qs(messages.error().message));
    QList<ChatTurn> turns;
    for (const auto& m : *messages) {
        ChatTurn t;
        // A role this version does not know is shown as a system note, never dropped.
        t.role = engine::chatRoleFromName(m.role).value_or(engine::ChatRole::System);
        t.content = qs(m.role == "tool" ? m.toolResults : m.content);
        t.reasoning = qs(m.reasoning);
        t.toolCalls = toolCallsFromJson(m.toolCalls);
        t.agent = qs(m.agent);
        t.storeId = m.id;
        t.sampling = qs(m.sampling);
        t.model = modelNameOf(t.sampling);
        turns.append(t);
    }
    if (auto session = m_store->session(sessionId)) emit sessionSamplingLoaded(sessionId, qs(session->sampling));
    emit sessionLoaded(sessionId, turns);
    loadLatestRun(sessionId);
}

void StoreWorker::loadLatestRun(qint64 sessionId) {
    auto runs = m_store->runs(sessionId);
    if (!runs || runs->empty()) return;
    const agents::Run& run = runs->back();
    auto steps = m_store->steps(run.id);
    if (!steps) return emit failed(qs(steps.error().message));
    QStringList events;
    QString team = qs(run.team);
    for (const auto& step : *steps) {
        QJsonObject e = QJsonDocument::fromJson(QByteArray::fromStdString(step.payload)).object();
        if (!e.contains(QStringLiteral("event"))) {
            // The start record is no event: it names the team file the run was read from, which
            // a team that is no template needs to be shown again.
            const QString file = e.value(QStringLiteral("team_file")).toString();
            if (!file.isEmpty() && QFile::exists(file)) team = file;
            continue;
        }
        // An agent's event names its agent; where an older payload does not, the step's own
        // agent column does (#19: a replayed run showed a nameless agent row).
        const QString kind = e.value(QStringLiteral("event")).toString();
        const bool agentEvent = kind != QLatin1String("delegate") && kind != QLatin1String("done");
        if (agentEvent && e.value(QStringLiteral("agent")).toString().isEmpty() && !step.agent.empty()) {
            e[QStringLiteral("agent")] = qs(step.agent);
            events << QString::fromUtf8(QJsonDocument(e).toJson(QJsonDocument::Compact));
            continue;
        }
        events << qs(step.payload);
    }
    emit runLoaded(sessionId, team, events);
}

void StoreWorker::setSessionSampling(qint64 sessionId, const QString& json) {
    if (!m_store) return;
    auto s = m_store->session(sessionId);
    if (!s) return emit failed(qs(s.error().message));
    s->sampling = utf8(json);
    if (auto r = m_store->updateSession(*s); !r) return emit failed(qs(r.error().message));
}

void StoreWorker::setFavourite(qint64 sessionId, bool favourite) {
    if (!m_store) return;
    auto s = m_store->session(sessionId);
    if (!s) return emit failed(qs(s.error().message));
    s->favourite = favourite;
    if (auto r = m_store->updateSession(*s); !r) return emit failed(qs(r.error().message));
    reload();
}

void StoreWorker::renameSession(qint64 sessionId, const QString& title) {
    if (!m_store) return;
    auto s = m_store->session(sessionId);
    if (!s) return emit failed(qs(s.error().message));
    s->title = utf8(title.trimmed());
    if (auto r = m_store->updateSession(*s); !r) return emit failed(qs(r.error().message));
    reload();
}

void StoreWorker::deleteSession(qint64 sessionId) {
    if (!m_store) return;
    if (auto r = m_store->deleteSession(sessionId); !r) return emit failed(qs(r.error().message));
    reload();
}

void StoreWorker::reloadIfChanged() {
    if (!m_store) return;
    auto version = m_store->database().queryInt("PRAGMA data_version");
    if (!version || *version == m_dataVersion) return;
    m_dataVersion = *version;
    reload();
}

void StoreWorker::search(const QString& query) {
    if (!m_store) return;
    QSet<qint64> ids;
    if (!query.trimmed().isEmpty()) {
        // Each word as a prefix, so that results follow the user's typing.
        QStringList words;
        for (const QString& w : query.split(QLatin1Char(' '), Qt::SkipEmptyParts))
            words << (w.endsWith(QLatin1Char('*')) ? w : w + QLatin1Char('*'));
        auto hits = m_store->search(utf8(words.join(QLatin1Char(' '))), 200);
        if (hits)
            for (const auto& h : *hits) ids.insert(h.sessionId);
    }
    emit searchFinished(query, ids);
}

void StoreWorker::exportSession(qint64 sessionId, const QString& path) {
    if (!m_store) return;
    auto record = m_store->load(sessionId);
    if (!record) return emit failed(qs(record.error().message));
    const std::string text = path.endsWith(QStringLiteral(".md"))
                                 ? agents::sessionToMarkdown(*record)
                                 : agents::sessionToJson(*record);
    QSaveFile file(path);  // a temporary, renamed on commit: never a half-written export
    if (!file.open(QIODevice::WriteOnly) || file.write(text.data(), qint64(text.size())) < 0 ||
        !file.commit())
        return emit failed(tr("%1: cannot write the export").arg(path));
    emit exported(path);
}

}  // namespace atelier::ui
