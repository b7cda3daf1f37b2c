#pragma once
// StoreWorker: owns the SessionStore on its own thread so the GUI never waits on SQLite.
// Slots run on the worker thread (queued calls); results come back as queued signals carrying
// values.

#include <QList>
#include <QObject>
#include <QString>
#include <memory>

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

signals:
    void sessionsLoaded(const QList<atelier::ui::SessionRow>& rows);
    void failed(const QString& message);

private:
    std::unique_ptr<agents::SessionStore> m_store;  // touched only on the worker thread
};

}  // namespace atelier::ui
