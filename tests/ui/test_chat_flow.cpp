// ctest-labels: unit gui
// End to end offscreen: create the tiny demo model, see its memory estimate in the model
// dialog, load it, send a message, watch tokens stream, stop, and find the conversation stored
// in the session store; the event loop keeps running while tokens stream.

#include <QAbstractItemModelTester>
#include <QDir>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "atelier/agents/session_store.h"
#include "atelier/engine/model_config.h"
#include "atelier/engine/tokenizer.h"
#include "atelier/ui/attachment_model.h"
#include "atelier/ui/chat_controller.h"
#include "atelier/ui/context_panel.h"
#include "atelier/ui/conversation_view.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/model_dialog.h"
#include "atelier/ui/session_list_model.h"

using namespace atelier::ui;

class TestChatFlow : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

    // A window with the tiny demo model loaded (created once, then reloaded from disk).
    void loadDemo(MainWindow& window) {
        QSignalSpy loaded(window.engineBridge(), &EngineBridge::loaded);
        window.createDemoModel(QStringLiteral("tiny"));
        QVERIFY(loaded.wait(20000));
        QVERIFY(window.engineBridge()->isLoaded());
    }

    // One attempt of sendStreamsTokensAndStopKeepsWhatCame; endedByItself when the model ended
    // its reply before the click took effect (nothing is checked then).
    void stopKeepsWhatCame(bool& endedByItself) {
        endedByItself = false;
        MainWindow window(m_dir.path());
        loadDemo(window);
        ChatController* chat = window.chat();
        chat->setMaxTokens(4000);
        QSignalSpy streamed(window.engineBridge(), &EngineBridge::turnDelta);
        QSignalSpy finished(chat, &ChatController::finished);
        window.findChild<QPlainTextEdit*>(QStringLiteral("messageInput"))->setPlainText(QStringLiteral("Hello there"));
        window.findChild<QPushButton*>(QStringLiteral("sendButton"))->click();
        QVERIFY(chat->isBusy());
        QVERIFY(window.findChild<QPushButton*>(QStringLiteral("stopButton"))->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(streamed.size() >= 3 || !finished.isEmpty(), 20000);
        if (!finished.isEmpty()) {
            endedByItself = true;
            return;
        }
        QVERIFY(!chat->turns().last().content.isEmpty());
        window.findChild<QPushButton*>(QStringLiteral("stopButton"))->click();
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 10000);
        const auto stats = finished.first().first().value<GenerationStats>();
        if (stats.finish == atelier::agents::TurnFinish::Stop) {  // between the check and the click
            endedByItself = true;
            return;
        }
        QCOMPARE(stats.finish, atelier::agents::TurnFinish::Cancelled);
        QCOMPARE(stats.finishName(), QStringLiteral("cancelled"));
        QVERIFY(stats.completionTokens > 0 && stats.completionTokens < 4000);
        QVERIFY(stats.firstTokenMs >= 0);
        // What streamed is what the stopped turn keeps: every piece, and every token counted.
        QString streamedReasoning, streamedContent;
        qint64 streamedTokens = 0;
        for (const auto& args : streamed) {
            streamedReasoning += args.at(1).toString();
            streamedContent += args.at(2).toString();
            streamedTokens += args.at(3).toInt();
        }
        QCOMPARE(streamedTokens, stats.completionTokens);
        QCOMPARE(chat->turns().size(), 2);
        QCOMPARE(chat->turns().last().content, streamedContent);
        QCOMPARE(chat->turns().last().reasoning, streamedReasoning);
        QVERIFY(streamedReasoning.isEmpty());  // chat mode: no thinking
        QVERIFY(window.findChild<QLabel*>(QStringLiteral("speedStatus"))->text().contains(QStringLiteral("cancelled")));
        // Both turns reach the store.
        QTRY_VERIFY_WITH_TIMEOUT(chat->sessionId() != 0 && chat->turns().last().storeId != 0, 5000);
        auto store = atelier::agents::SessionStore::open((m_dir.path() + "/atelier.db").toStdString());
        QVERIFY(store.has_value());
        auto messages = store->messages(chat->sessionId());
        QVERIFY(messages.has_value());
        QCOMPARE(int(messages->size()), 2);
        QCOMPARE(QString::fromStdString((*messages)[0].content), QStringLiteral("Hello there"));
        QCOMPARE(QString::fromStdString((*messages)[1].content), streamedContent);
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("AtelierTest"));
        QVERIFY(m_dir.isValid());
    }

    void demoModelIsLabelledAndItsMemoryEstimateAddsUp() {
        MainWindow window(m_dir.path());
        loadDemo(window);
        const ModelSummary& s = window.engineBridge()->model();
        QVERIFY(s.demo);
        QVERIFY(s.displayName().contains(QStringLiteral("random weights")));
        QVERIFY(window.findChild<QLabel*>(QStringLiteral("modelStatus"))->text().contains(
            QStringLiteral("random weights")));
        // The estimate is weights + KV at the context + one sequence's state, from the config.
        const auto sizes = atelier::engine::computeSizes(*atelier::engine::presetConfig("tiny"));
        QCOMPARE(s.paramsTotal, sizes.paramsTotal);
        QCOMPARE(s.neededBytes(1000) - s.neededBytes(0), qint64(sizes.kvBytesPerToken * 1000));
        // The weights fill most of the safetensors files (their headers are the rest).
        qint64 fileBytes = 0;
        for (const QFileInfo& f : QDir(s.path).entryInfoList({QStringLiteral("*.safetensors")}))
            fileBytes += f.size();
        QVERIFY2(s.weightBytes <= fileBytes && s.weightBytes > fileBytes * 9 / 10,
                 qPrintable(QStringLiteral("%1 vs %2").arg(s.weightBytes).arg(fileBytes)));

        window.openModelPath(s.path);
        QTRY_VERIFY_WITH_TIMEOUT(window.pendingModelDialog() != nullptr, 10000);
        ModelDialog* dialog = window.pendingModelDialog();
        QVERIFY(dialog->findChild<QLabel*>(QStringLiteral("demoWarning")) != nullptr);
        dialog->setContextTokens(4096);
        QVERIFY(dialog->fits());  // a few MB fit anywhere
        QVERIFY(dialog->verdictText().contains(QStringLiteral("Fits")));
        // A context whose KV cache cannot fit in the free memory is flagged before loading.
        ModelSummary huge = s;
        huge.weightBytes = qint64(1) << 50;
        ModelDialog big(huge, qint64(1) << 30);
        QVERIFY(!big.fits());
        QVERIFY(big.verdictText().contains(QStringLiteral("Does not fit")));
        dialog->reject();
    }

    // The demo model has random weights and each reply a new seed, so it may end a reply by
    // itself (EOS) before Stop is clicked: then that attempt says so and the test tries again
    // in a new window. Before, such a reply failed the test (stop 31's CI: finish "stop").
    void sendStreamsTokensAndStopKeepsWhatCame() {
        bool endedByItself = true;
        for (int attempt = 0; endedByItself && attempt < 8; ++attempt) {
            stopKeepsWhatCame(endedByItself);
            if (QTest::currentTestFailed()) return;
            if (endedByItself) qInfo("attempt %d: the model ended its reply before Stop", attempt + 1);
        }
        QVERIFY2(!endedByItself, "the demo model ended each of 8 replies before Stop");
    }

    void editAndRegenerateReplaceTheLastTurns() {
        MainWindow window(m_dir.path());
        loadDemo(window);
        ChatController* chat = window.chat();
        chat->setMaxTokens(8);
        QSignalSpy finished(chat, &ChatController::finished);
        chat->send(QStringLiteral("first question"));
        QVERIFY(finished.wait(20000));
        chat->editLastUserMessage(QStringLiteral("better question"));
        QVERIFY(finished.wait(20000));
        QCOMPARE(chat->turns().size(), 2);
        QCOMPARE(chat->turns().first().content, QStringLiteral("better question"));
        chat->regenerate();
        QVERIFY(finished.wait(20000));
        QCOMPARE(chat->turns().size(), 2);
        QCOMPARE(chat->turns().last().role, atelier::engine::ChatRole::Assistant);
    }

    void switchingSessionsAbandonsTheAnswerInFlight() {
        MainWindow window(m_dir.path());
        loadDemo(window);
        ChatController* chat = window.chat();
        chat->setMaxTokens(4000);
        QSignalSpy streamed(window.engineBridge(), &EngineBridge::turnDelta);
        chat->send(QStringLiteral("first conversation"));
        QTRY_VERIFY_WITH_TIMEOUT(streamed.size() >= 1, 20000);
        chat->newSession();
        QVERIFY(!chat->isBusy());
        QVERIFY(chat->turns().isEmpty());
        QTest::qWait(300);  // the cancelled request's last events arrive and are ignored
        QVERIFY(chat->turns().isEmpty());
        chat->setMaxTokens(4);
        QSignalSpy finished(chat, &ChatController::finished);
        chat->send(QStringLiteral("second conversation"));
        QVERIFY(finished.wait(20000));
        QCOMPARE(chat->turns().size(), 2);
        QCOMPARE(chat->turns().first().content, QStringLiteral("second conversation"));
    }

    void eventLoopKeepsTickingWhileTokensStream() {
        MainWindow window(m_dir.path());
        window.show();
        loadDemo(window);
        ChatController* chat = window.chat();
        chat->setMaxTokens(300);
        QElapsedTimer clock;
        qint64 last = -1, worst = 0;
        QTimer tick;
        tick.setInterval(5);
        connect(&tick, &QTimer::timeout, [&] {
            const qint64 now = clock.elapsed();
            if (last >= 0) worst = std::max(worst, now - last);
            last = now;
        });
        QSignalSpy finished(chat, &ChatController::finished);
        clock.start();
        tick.start();
        chat->send(QStringLiteral("Tell me a long story"));
        QVERIFY(finished.wait(30000));
        tick.stop();
        const auto stats = finished.first().first().value<GenerationStats>();
        qInfo("worst event-loop stall while streaming %lld tokens (%.0f tok/s): %lld ms "
              "(%d conversation renders)",
              static_cast<long long>(stats.completionTokens), stats.decodeTokPerS,
              static_cast<long long>(worst), window.conversationView()->renderCount());
        QVERIFY(stats.completionTokens > 10);
        QVERIFY2(worst < 250, qPrintable(QStringLiteral("stall %1 ms").arg(worst)));
    }

    void attachedFileShowsItsTokensAndFillsTheGauge() {
        MainWindow window(m_dir.path());
        loadDemo(window);
        QTemporaryDir docs;
        const QString file = docs.filePath(QStringLiteral("notes.txt"));
        // Long enough (several 128-token prefix blocks) for the prefix cache to keep it.
        const QByteArray text = QByteArray("The quarterly numbers rose by four percent.\n").repeated(30) +
                                "fn main() { return 0; }\n";
        {
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(text);
        }
        ContextPanel* panel = window.contextPanel();
        QAbstractItemModelTester tester(panel->attachments(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        panel->addPath(file);
        panel->addPath(docs.filePath(QStringLiteral("missing.txt")));
        QTRY_VERIFY_WITH_TIMEOUT(panel->attachments()->attachments().value(0).tokens >= 0, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!panel->attachments()->attachments().value(1).error.isEmpty(), 10000);
        // The count is the model tokenizer's count of the document as it is put in the prompt.
        auto tok = atelier::engine::Tokenizer::forModel(window.engineBridge()->model().path.toStdString());
        QVERIFY(tok.has_value());
        const QString shown = panel->attachments()->attachments()[0].text;
        QVERIFY(shown.contains(QString::fromUtf8(text)));
        QCOMPARE(panel->attachments()->attachments()[0].tokens, qint64(tok->encode(shown.toStdString()).size()));
        QCOMPARE(panel->usedTokens(), panel->attachments()->totalTokens());
        QVERIFY(panel->gauge()->text().contains(QStringLiteral("of 8192")));
        panel->attachments()->remove(1);
        QCOMPARE(panel->attachments()->rowCount(), 1);
        // Regenerating sends the same prompt again: its prefill comes from the prefix cache.
        QSignalSpy finished(window.chat(), &ChatController::finished);
        window.chat()->setMaxTokens(2);
        window.chat()->send(QStringLiteral("Summarise the notes."));
        QVERIFY(finished.wait(20000));
        window.chat()->regenerate();
        QVERIFY(finished.wait(20000));
        const auto stats = finished.last().first().value<GenerationStats>();
        QVERIFY(stats.cachedTokens > 0);
        QCOMPARE(panel->prefillAvoidedText(), QStringLiteral("Prefill avoided: %1 tokens").arg(stats.cachedTokens));
    }
};

QTEST_MAIN(TestChatFlow)
#include "test_chat_flow.moc"
