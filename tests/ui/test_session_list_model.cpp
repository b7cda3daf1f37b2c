// ctest-labels: unit gui
// The sessions sidebar groups sessions into Favourites, folders and Recent, passes Qt's model
// checks, and is filled from the session store off the GUI thread when the window opens.

#include <QAbstractItemModelTester>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QtTest>

#include "atelier/agents/session_store.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/session_list_model.h"

using namespace atelier::ui;

namespace {
SessionRow row(qint64 id, const char* title, const char* folder = "", bool fav = false) {
    SessionRow r;
    r.id = id;
    r.title = QString::fromUtf8(title);
    r.folder = QString::fromUtf8(folder);
    r.favourite = fav;
    r.kind = QStringLiteral("chat");
    return r;
}
}  // namespace

class TestSessionListModel : public QObject {
    Q_OBJECT
private slots:
    void groupsAndPassesTheModelTester() {
        SessionListModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSessions({row(1, "Contract review", "/docs/contracts", true), row(2, "Weather"),
                           row(3, "Q3 numbers", "/docs/finance"), row(4, "Notes", "/docs/contracts")});
        // Favourites, two folders, Recent.
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.rowCount(model.index(0, 0)), 1);  // favourites
        QVERIFY(model.index(0, 0).data().toString().startsWith(QStringLiteral("Favourites")));
        QCOMPARE(model.index(1, 0).data().toString(), QStringLiteral("/docs/contracts (2)"));
        QCOMPARE(model.rowCount(model.index(3, 0)), 1);  // recent: only the folderless one
        const QModelIndex weather = model.index(0, 0, model.index(3, 0));
        QCOMPARE(weather.data().toString(), QStringLiteral("Weather"));
        QCOMPARE(weather.data(SessionListModel::SessionIdRole).toLongLong(), 2);
        QCOMPARE(model.parent(weather), model.index(3, 0));
        model.setSessions({});
        QCOMPARE(model.sessionCount(), 0);
    }

    void windowLoadsSessionsFromTheStore() {
        QTemporaryDir dir;
        {
            auto store = atelier::agents::SessionStore::open((dir.path() + "/atelier.db").toStdString());
            QVERIFY2(store.has_value(), store ? "" : store.error().message.c_str());
            for (const char* title : {"first", "second", "third"}) {
                atelier::agents::Session s;
                s.title = title;
                QVERIFY(store->createSession(s).has_value());
            }
        }
        MainWindow window(dir.path());
        QTRY_COMPARE_WITH_TIMEOUT(window.sessionModel()->sessionCount(), 3, 5000);
    }

    void aBrokenDatabaseLeavesTheWindowUsable() {
        QTemporaryDir dir;
        QFile garbage(dir.path() + "/atelier.db");
        QVERIFY(garbage.open(QIODevice::WriteOnly));
        garbage.write(QByteArray(4096, 'x'));
        garbage.close();
        MainWindow window(dir.path());
        window.show();
        QTRY_VERIFY_WITH_TIMEOUT(
            window.statusBar()->currentMessage().contains(QStringLiteral("Sessions unavailable")), 5000);
        QCOMPARE(window.sessionModel()->sessionCount(), 0);
    }
};

QTEST_MAIN(TestSessionListModel)
#include "test_session_list_model.moc"
