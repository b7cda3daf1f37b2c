// ctest-labels: unit gui
// The sessions sidebar groups sessions into Favourites, folders and Recent, passes Qt's model
// checks, and is filled from the session store off the GUI thread when the window opens.

#include <QAbstractItemModelTester>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTreeView>
#include <QTemporaryDir>
#include <QtTest>

#include "atelier/agents/session_store.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/session_filter_proxy.h"
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
std::vector<atelier::agents::SessionSummary> storedSessions(const QString& dir) {
    auto store = atelier::agents::SessionStore::open((dir + "/atelier.db").toStdString());
    if (!store) return {};
    auto list = store->listSessions();
    return list ? *list : std::vector<atelier::agents::SessionSummary>{};
}

QString storedTitle(const QString& dir, qint64 id) {
    for (const auto& s : storedSessions(dir))
        if (s.session.id == id) return QString::fromStdString(s.session.title);
    return {};
}

// The ids of the sessions the tree shows (what the proxy lets through), in every group.
QSet<qint64> shownSessions(QAbstractItemModel* m) {
    QSet<qint64> ids;
    for (int g = 0; g < m->rowCount(); ++g)
        for (int r = 0; r < m->rowCount(m->index(g, 0)); ++r)
            ids.insert(m->index(r, 0, m->index(g, 0)).data(SessionListModel::SessionIdRole).toLongLong());
    return ids;
}

QModelIndex findSession(QAbstractItemModel* m, qint64 id) {
    for (int g = 0; g < m->rowCount(); ++g)
        for (int r = 0; r < m->rowCount(m->index(g, 0)); ++r) {
            const QModelIndex i = m->index(r, 0, m->index(g, 0));
            if (i.data(SessionListModel::SessionIdRole).toLongLong() == id) return i;
        }
    return {};
}

// A data folder whose store holds sessions titled `titles`; their ids in order.
QList<qint64> makeStore(const QString& dir, const QStringList& titles) {
    QList<qint64> ids;
    auto store = atelier::agents::SessionStore::open((dir + "/atelier.db").toStdString());
    if (!store) return ids;
    for (const QString& title : titles) {
        atelier::agents::Session s;
        s.title = title.toStdString();
        if (auto id = store->createSession(s)) ids << *id;
    }
    return ids;
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

    void renameInPlaceAndDeleteWithUndo() {
        QTemporaryDir dir;
        const QList<qint64> ids = makeStore(dir.path(), {"first", "second", "third"});
        QCOMPARE(ids.size(), 3);
        {
            MainWindow window(dir.path());
            QTRY_COMPARE_WITH_TIMEOUT(window.sessionModel()->sessionCount(), 3, 5000);
            auto* proxy = window.findChild<SessionFilterProxy*>(QStringLiteral("sessionProxy"));
            QVERIFY(proxy);

            // Rename: the row is editable, shows the new title at once and the store keeps it.
            const QModelIndex second = findSession(window.sessionModel(), ids[1]);
            QVERIFY(window.sessionModel()->flags(second) & Qt::ItemIsEditable);
            QVERIFY(window.sessionModel()->setData(second, QStringLiteral("  renamed ")));
            QCOMPARE(findSession(window.sessionModel(), ids[1]).data().toString(), QStringLiteral("renamed"));
            QTRY_COMPARE_WITH_TIMEOUT(storedTitle(dir.path(), ids[1]), QStringLiteral("renamed"), 5000);
            QVERIFY(!window.sessionModel()->setData(findSession(window.sessionModel(), ids[1]), QStringLiteral(" ")));

            // Delete: hidden at once, still stored while Undo is offered; Undo brings it back.
            window.deleteSession(ids[0]);
            QVERIFY(!shownSessions(proxy).contains(ids[0]));
            QVERIFY(shownSessions(proxy).contains(ids[1]));
            auto* undo = window.findChild<QPushButton*>(QStringLiteral("undoDeleteButton"));
            QVERIFY(undo && !undo->isHidden() && !undo->parentWidget()->isHidden());
            QCOMPARE(window.pendingDeleteSession(), ids[0]);
            QTest::mouseClick(undo, Qt::LeftButton);
            QCOMPARE(window.pendingDeleteSession(), 0);
            QVERIFY(shownSessions(proxy).contains(ids[0]));
            QTest::qWait(200);
            QCOMPARE(storedSessions(dir.path()).size(), size_t(3));

            // When the offer ends the store deletes it.
            window.deleteSession(ids[0]);
            window.commitDeleteSession();
            QTRY_COMPARE_WITH_TIMEOUT(storedSessions(dir.path()).size(), size_t(2), 5000);
            QTRY_COMPARE_WITH_TIMEOUT(window.sessionModel()->sessionCount(), 2, 5000);
            QVERIFY(!shownSessions(proxy).contains(ids[0]));

            // Deleting another one ends the previous offer; closing the window ends the last.
            window.deleteSession(ids[2]);
        }
        QCOMPARE(storedSessions(dir.path()).size(), size_t(1));
        QCOMPARE(storedSessions(dir.path()).front().session.id, ids[1]);
    }

    void listFollowsOtherConnections() {
        QTemporaryDir dir;
        makeStore(dir.path(), {"first"});
        MainWindow window(dir.path());
        QTRY_COMPARE_WITH_TIMEOUT(window.sessionModel()->sessionCount(), 1, 5000);
        // A team run or the CLI writes through another connection: the list follows it.
        makeStore(dir.path(), {"made by a team run"});
        emit window.refreshSessionsRequested();
        QTRY_COMPARE_WITH_TIMEOUT(window.sessionModel()->sessionCount(), 2, 5000);
        // ... also without being told (the window polls the store's data version).
        makeStore(dir.path(), {"made by the CLI"});
        QTRY_COMPARE_WITH_TIMEOUT(window.sessionModel()->sessionCount(), 3, 10000);
    }

    void searchHitsShowInExpandedGroups() {
        MainWindow window;
        window.show();
        window.sessionModel()->setSessions({row(1, "Contract review", "/docs/contracts"), row(2, "Weather"),
                                            row(3, "Q3 numbers", "/docs/finance")});
        auto* tree = window.findChild<QTreeView*>(QStringLiteral("sessionTree"));
        auto* search = window.findChild<QLineEdit*>(QStringLiteral("sessionSearch"));
        auto* proxy = window.findChild<SessionFilterProxy*>(QStringLiteral("sessionProxy"));
        QVERIFY(tree && search && proxy);
        tree->collapseAll();
        search->setText(QStringLiteral("ebitda"));  // in no title
        QCOMPARE(shownSessions(proxy).size(), 0);
        proxy->setMatches(QStringLiteral("ebitda"), {3});  // the store's full-text hit
        const QModelIndex hit = findSession(proxy, 3);
        QVERIFY(hit.isValid());
        QVERIFY2(tree->isExpanded(hit.parent()), "the group holding the hit is collapsed");
        QVERIFY(!tree->visualRect(hit).isEmpty());
        search->clear();
        QCOMPARE(shownSessions(proxy).size(), 3);
    }

    void singleClickOpensASession() {
        MainWindow window;
        window.show();
        window.sessionModel()->setSessions({row(7, "Contract review"), row(8, "Weather")});
        auto* tree = window.findChild<QTreeView*>(QStringLiteral("sessionTree"));
        QVERIFY(tree);
        tree->expandAll();
        QTRY_VERIFY(tree->isVisible());
        QSignalSpy open(&window, &MainWindow::loadSessionRequested);
        const QModelIndex weather = findSession(tree->model(), 8);
        QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, tree->visualRect(weather).center());
        QCOMPARE(open.size(), 1);
        QCOMPARE(open.first().first().toLongLong(), 8);
        // A group row opens nothing.
        QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, tree->visualRect(weather.parent()).center());
        QCOMPARE(open.size(), 1);
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
