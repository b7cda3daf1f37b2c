// ctest-labels: unit gui
// An agent thread asks for approval and waits while the GUI thread keeps running and shows the
// dialog; the user's answer reaches the thread; "Always allow (this run)" answers later calls of
// the same agent and tool without asking, until the next run; pending calls are denied when the
// broker goes away.

#include <QPushButton>
#include <QSignalSpy>
#include <QtTest>
#include <atomic>
#include <thread>

#include "atelier/ui/approval_broker.h"

using namespace atelier::ui;

namespace {
// Runs ask() on its own thread; `done` flips when the answer is back.
struct Asker {
    std::atomic<bool> done{false};
    std::atomic<bool> allowed{false};
    std::thread thread;
    Asker(ApprovalBroker& b, const char* agent, const char* tool) {
        thread = std::thread([this, &b, agent, tool] {
            allowed = b.ask(QString::fromLatin1(agent), QString::fromLatin1(tool), QJsonObject{{"path", "out.txt"}});
            done = true;
        });
    }
    ~Asker() { thread.join(); }
};

void click(ApprovalBroker& b, const char* button) {
    QTRY_VERIFY(b.pendingDialog() != nullptr);
    b.pendingDialog()->findChild<QPushButton*>(QString::fromLatin1(button))->click();
}
}  // namespace

class TestApprovalBroker : public QObject {
    Q_OBJECT
private slots:
    void theUsersAnswerReachesTheWaitingAgent() {
        ApprovalBroker broker(nullptr);
        {
            Asker a(broker, "reader", "files_write");
            QTRY_VERIFY(broker.pendingDialog() != nullptr);
            QVERIFY(!a.done);  // still waiting for the user
            click(broker, "denyButton");
            QTRY_VERIFY(a.done.load());
            QVERIFY(!a.allowed);
        }
        {
            Asker a(broker, "reader", "files_write");
            click(broker, "allowOnceButton");
            QTRY_VERIFY(a.done.load());
            QVERIFY(a.allowed);
        }
        {
            Asker a(broker, "reader", "files_write");
            click(broker, "allowAlwaysButton");
            QTRY_VERIFY(a.done.load());
            QVERIFY(a.allowed);
        }
        QTRY_VERIFY(broker.pendingDialog() == nullptr);
        {
            QSignalSpy shown(&broker, &ApprovalBroker::questionShown);
            Asker a(broker, "reader", "files_write");  // covered by "always": no dialog
            QTRY_VERIFY(a.done.load());
            QVERIFY(a.allowed);
            QCOMPARE(shown.size(), 0);
        }
        {
            Asker other(broker, "critic", "files_write");  // another agent is asked
            QTRY_VERIFY(broker.pendingDialog() != nullptr);
            click(broker, "denyButton");
            QTRY_VERIFY(other.done.load());
            QVERIFY(!other.allowed);
        }
        broker.startRun();
        {
            Asker a(broker, "reader", "files_write");  // a new run asks again
            QTRY_VERIFY(broker.pendingDialog() != nullptr);
            click(broker, "allowOnceButton");
            QTRY_VERIFY(a.done.load());
        }
    }

    void pendingQuestionsAreDeniedWhenTheBrokerGoesAway() {
        auto* broker = new ApprovalBroker(nullptr);
        Asker a(*broker, "reader", "files_write");
        Asker b(*broker, "critic", "files_write");
        QTRY_COMPARE(broker->pendingCount(), 2);  // both asked: one shown, one queued
        delete broker;
        QTRY_VERIFY(a.done.load() && b.done.load());
        QVERIFY(!a.allowed && !b.allowed);
    }

    void askingOnTheGuiThreadIsDeniedInsteadOfFreezing() {
        ApprovalBroker broker(nullptr);
        QVERIFY(!broker.ask(QStringLiteral("reader"), QStringLiteral("files_write"), {}));
    }
};

QTEST_MAIN(TestApprovalBroker)
#include "test_approval_broker.moc"
