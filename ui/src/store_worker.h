#pragma once
// StoreWorker: owns the SessionStore on its own thread so the GUI never waits on SQLite.
// Slots run on the worker thread (queued calls); results come back as queued signals carrying
// values. A `ticket` is the caller's name for a write whose id it learns later.

#include <QList>
#include <QObject>
#include <QSet>
#include <QString>
#include <memory>

#include "atelier/ui/chat_turn.h"
#include "atelier/ui/session_list_model.h"

namespace atelier::agents {
class SessionStore;
}

namespace atelier::ui {

class StoreWorker : public QObject {
    Q_OBJECT
public:
    StoreWorker();
    ~StoreWorker() override;

public slots:
    void open(const QString& databasePath);
    void reload();
    void createSession(quint64 ticket, const QString& title, const QString& model);
    void addMessage(quint64 ticket, qint64 sessionId, const atelier::ui::ChatTurn& turn);
    void deleteMessage(qint64 messageId);
    void loadSession(qint64 sessionId);
    void setFavourite(qint64 sessionId, bool favourite);
    // The session's sampling settings (SamplingSettings JSON text).
    void setSessionSampling(qint64 sessionId, const QString& json);
    void renameSession(qint64 sessionId, const QString& title);
    // Deletes the session with its messages, runs, steps and approvals.
    void deleteSession(qint64 sessionId);
    // Reloads the list when another connection (a team run, the CLI) changed the database
    // since the last look (SQLite's data_version); cheap when nothing changed.
    void reloadIfChanged();
    void search(const QString& query);
    // Writes the session as Markdown (`.md`) or JSON (anything else) to `path`.
    void exportSession(qint64 sessionId, const QString& path);

signals:
    void sessionsLoaded(const QList<atelier::ui::SessionRow>& rows);
    void sessionCreated(quint64 ticket, qint64 sessionId);
    void messageAdded(quint64 ticket, qint64 messageId);
    // Before sessionLoaded: the session's stored sampling settings ("" for the defaults).
    void sessionSamplingLoaded(qint64 sessionId, const QString& json);
    void sessionLoaded(qint64 sessionId, const QList<atelier::ui::ChatTurn>& turns);
    // A team session's latest run: its team and every persisted event (JSON text), in order.
    void runLoaded(qint64 sessionId, const QString& team, const QStringList& events);
    // The sessions whose messages match `query` (full-text index).
    void searchFinished(const QString& query, const QSet<qint64>& sessionIds);
    void exported(const QString& path);
    void failed(const QString& message);

private:
    void loadLatestRun(qint64 sessionId);
    std::unique_ptr<agents::SessionStore> m_store;  // touched only on the worker thread
    qint64 m_dataVersion = -1;                       // PRAGMA data_version at the last look
};

}  // namespace atelier::ui
