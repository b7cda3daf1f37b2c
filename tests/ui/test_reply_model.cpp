// ctest-labels: unit gui
// Each reply keeps the name of the model that wrote it (#19): the session store records it with
// the reply's sampling settings, and a reopened session gets it back, the settings unchanged;
// a reply stored without one (an older session) comes back with none, so the window falls back
// to the model loaded now.

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "atelier/ui/chat_turn.h"
#include "../ui/src/store_worker.h"

using namespace atelier::ui;

class TestReplyModel : public QObject {
    Q_OBJECT
private slots:
    void modelNameSurvivesTheStore() {
        qRegisterMetaType<QList<ChatTurn>>();
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        StoreWorker worker;
        QSignalSpy failed(&worker, &StoreWorker::failed);
        worker.open(dir.filePath(QStringLiteral("sessions.db")));
        QSignalSpy created(&worker, &StoreWorker::sessionCreated);
        worker.createSession(1, QStringLiteral("t"), QStringLiteral("m"));
        QCOMPARE(created.size(), 1);
        const qint64 session = created.first().at(1).toLongLong();

        ChatTurn user;
        user.content = QStringLiteral("q");
        ChatTurn a;
        a.role = atelier::engine::ChatRole::Assistant;
        a.content = QStringLiteral("a1");
        a.sampling = QStringLiteral(R"({"seed":"42","temperature":0.7})");
        a.model = QStringLiteral("Model \"A\" <demo>");
        ChatTurn b = a;
        b.content = QStringLiteral("a2");
        b.sampling.clear();
        b.model = QStringLiteral("Model B");
        ChatTurn old = a;  // written before models were recorded
        old.content = QStringLiteral("a3");
        old.model.clear();
        for (const ChatTurn& t : {user, a, b, old}) worker.addMessage(2, session, t);

        QSignalSpy loaded(&worker, &StoreWorker::sessionLoaded);
        worker.loadSession(session);
        QCOMPARE(failed.size(), 0);
        QCOMPARE(loaded.size(), 1);
        const auto turns = loaded.first().at(1).value<QList<ChatTurn>>();
        QCOMPARE(turns.size(), 4);
        QCOMPARE(turns[0].model, QString());
        QCOMPARE(turns[1].model, a.model);
        QCOMPARE(turns[2].model, b.model);
        QCOMPARE(turns[3].model, QString());
        // The settings it was made with are kept as they were.
        const QJsonObject settings = QJsonDocument::fromJson(turns[1].sampling.toUtf8()).object();
        QCOMPARE(settings.value(QStringLiteral("seed")).toString(), QStringLiteral("42"));
        QCOMPARE(settings.value(QStringLiteral("temperature")).toDouble(), 0.7);
    }
};

QTEST_MAIN(TestReplyModel)
#include "test_reply_model.moc"
