#include "store_worker.h"

#include "atelier/agents/session_store.h"

namespace atelier::ui {

StoreWorker::StoreWorker() = default;
StoreWorker::~StoreWorker() = default;

void StoreWorker::open(const QString& databasePath) {
    auto store = agents::SessionStore::open(databasePath.toStdString());
    if (!store) {
        emit failed(QString::fromStdString(store.error().message));
        return;
    }
    m_store = std::make_unique<agents::SessionStore>(std::move(*store));
    reload();
}

void StoreWorker::reload() {
    if (!m_store) return;
    auto list = m_store->listSessions();
    if (!list) {
        emit failed(QString::fromStdString(list.error().message));
        return;
    }
    QList<SessionRow> rows;
    for (const auto& s : *list) {
        SessionRow r;
        r.id = s.session.id;
        r.title = QString::fromStdString(s.session.title);
        r.folder = QString::fromStdString(s.session.folder);
        r.kind = QString::fromStdString(std::string(agents::toString(s.session.kind)));
        r.favourite = s.session.favourite;
        r.updatedMs = s.session.updatedMs;
        r.messageCount = s.messageCount;
        rows.append(r);
    }
    emit sessionsLoaded(rows);
}

}  // namespace atelier::ui
