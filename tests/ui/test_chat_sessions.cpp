// ctest-labels: unit gui
// Issue 19, items 3, 5 and 6: the message area (whole, copyable, dismissable notes that a later
// answer supersedes), the warning before a send past the context with the choices that make it
// fit, a failed send leaving no unanswered question; per-session sampling settings, stored with
// the session and recorded with each reply, a random seed by default so that Regenerate differs
// (a fixed seed repeats); and the state a switch of session resets (gauge, "Runs from",
// Regenerate and Edit).

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QToolButton>
#include <QtTest>

#include "atelier/agents/session_store.h"
#include "atelier/engine/tokenizer.h"
#include "atelier/ui/attachment_model.h"
#include "atelier/ui/chat_controller.h"
#include "atelier/ui/context_panel.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/message_area.h"
#include "atelier/ui/sampling_panel.h"
#include "atelier/ui/sampling_settings.h"

using namespace atelier::ui;

namespace {

QString replyText(const ChatTurn& t) { return t.reasoning + QStringLiteral("|") + t.content; }

QJsonObject json(const QString& text) { return QJsonDocument::fromJson(text.toUtf8()).object(); }

}  // namespace

class TestChatSessions : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

    void loadDemo(MainWindow& window) {
        QSignalSpy loaded(window.engineBridge(), &EngineBridge::loaded);
        window.createDemoModel(QStringLiteral("tiny"));
        QVERIFY(loaded.wait(30000));
        QVERIFY(window.engineBridge()->isLoaded());
    }

    QString dbPath() const { return m_dir.path() + QStringLiteral("/atelier.db"); }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("AtelierTest"));
        QVERIFY(m_dir.isValid());
    }

    void samplingSettingsReadBackAndDefault() {
        QCOMPARE(SamplingSettings::fromJson(QString()), SamplingSettings{});
        QCOMPARE(SamplingSettings::fromJson(QStringLiteral("{broken")), SamplingSettings{});
        QVERIFY(SamplingSettings{}.randomSeed);  // Regenerate varies unless a seed is fixed
        SamplingSettings s;
        s.temperature = 1.25;
        s.topP = 0.9;
        s.minP = 0.05;
        s.maxTokens = 77;
        s.randomSeed = false;
        s.seed = 18446744073709551615ull;  // beyond a JSON number's exact integers
        s.systemPrompt = QStringLiteral("Answer in \"French\" <b>only</b>.\nÉté.");
        QCOMPARE(SamplingSettings::fromJson(s.toJson()), s);
        // A field missing (an older record) keeps its default; nonsense is clamped.
        const auto partial = SamplingSettings::fromJson(QStringLiteral(R"({"temperature": 9, "top_p": 0})"));
        QCOMPARE(partial.temperature, 2.0);
        QCOMPARE(partial.topP, 0.01);
        QCOMPARE(partial.maxTokens, SamplingSettings{}.maxTokens);
        QVERIFY(partial.randomSeed);
        const QJsonObject record = json(samplingRecord(SamplingSettings{}, 42, QStringLiteral("/m")));
        QCOMPARE(record.value(QStringLiteral("seed")).toString(), QStringLiteral("42"));
        QCOMPARE(record.value(QStringLiteral("random_seed")).toBool(), true);
        QCOMPARE(record.value(QStringLiteral("model")).toString(), QStringLiteral("/m"));

        SamplingPanel panel;
        QSignalSpy edited(&panel, &SamplingPanel::settingsEdited);
        panel.setSettings(s);
        QCOMPARE(edited.size(), 0);  // showing a session's settings is no edit
        QCOMPARE(panel.settings().temperature, s.temperature);
        QCOMPARE(panel.settings().systemPrompt, s.systemPrompt);
        QVERIFY(!panel.settings().randomSeed);
        panel.findChild<QCheckBox*>(QStringLiteral("randomSeedBox"))->setChecked(true);
        QCOMPARE(edited.size(), 1);
        QVERIFY(edited.last().first().value<SamplingSettings>().randomSeed);
    }

    void messageAreaShowsWholeCopyableDismissableNotes() {
        MessageArea area;
        QVERIFY(area.isHidden());
        const QString longText = QStringLiteral("Prompt of 20817 tokens exceeds the context of 4096 tokens "
                                                "(model context 4096; raise --ctx or attach less) <b>x</b> & ")
                                     .repeated(4);
        area.post(MessageArea::Severity::Error, QStringLiteral("generation"), longText, QStringLiteral("my question"));
        QCOMPARE(area.count(), 1);
        QVERIFY(area.isVisible());
        auto* label = area.findChild<QLabel*>(QStringLiteral("messageNoteText"));
        QVERIFY(label);
        QCOMPARE(label->textFormat(), Qt::PlainText);  // markup is shown, not interpreted
        QVERIFY(label->text().contains(longText));     // whole, not cut off
        QVERIFY(label->text().contains(QStringLiteral("my question")));
        QVERIFY(label->textInteractionFlags() & Qt::TextSelectableByMouse);
        area.findChild<QToolButton*>(QStringLiteral("messageNoteCopy"))->click();
        QCOMPARE(QApplication::clipboard()->text(), longText);
        // The same kind replaces; another kind stacks; close dismisses one.
        area.post(MessageArea::Severity::Error, QStringLiteral("generation"), QStringLiteral("second"));
        area.post(MessageArea::Severity::Warning, QStringLiteral("reply"), QStringLiteral("cut"));
        QCOMPARE(area.texts(), (QStringList{QStringLiteral("second"), QStringLiteral("cut")}));
        QTest::qWait(0);
        area.findChildren<QToolButton*>(QStringLiteral("messageNoteClose")).last()->click();
        QCOMPARE(area.texts(), QStringList{QStringLiteral("second")});
        area.clearKind(QStringLiteral("generation"));
        QCOMPARE(area.count(), 0);
        QVERIFY(area.isHidden());
    }

    // Nothing loaded: the send is refused; the question leaves the history (and is never
    // stored) and comes back to the message box with the whole error above it.
    void refusedSendLeavesNoQuestionBehind() {
        MainWindow window(m_dir.path());
        ChatController* chat = window.chat();
        QSignalSpy refused(chat, &ChatController::sendFailed);
        QSignalSpy created(chat, &ChatController::createSessionRequested);
        chat->send(QStringLiteral("What is in the report?"));
        QVERIFY(refused.wait(10000));
        QCOMPARE(refused.first().at(0).toString(), QStringLiteral("What is in the report?"));
        QVERIFY(chat->turns().isEmpty());
        QVERIFY(!chat->isBusy());
        QCOMPARE(created.size(), 0);
        QCOMPARE(window.findChild<QPlainTextEdit*>(QStringLiteral("messageInput"))->toPlainText(),
                 QStringLiteral("What is in the report?"));
        QCOMPARE(window.messageArea()->count(), 1);
        QVERIFY(window.messageArea()->texts().first().contains(refused.first().at(1).toString()));
        QVERIFY(!window.findChild<QPushButton*>(QStringLiteral("regenerateButton"))->isEnabled());
    }

    // Random seed (the default): regenerations differ; a fixed seed repeats the reply exactly.
    // Each reply records the settings and the seed it used.
    void regenerateVariesWithRandomSeedAndRepeatsWithAFixedOne() {
        MainWindow window(m_dir.path());
        loadDemo(window);
        ChatController* chat = window.chat();
        SamplingSettings s = chat->sampling();
        s.temperature = 1.0;
        s.maxTokens = 24;
        chat->setSampling(s);
        QSignalSpy finished(chat, &ChatController::finished);
        chat->send(QStringLiteral("Tell me something."));
        QVERIFY(finished.wait(30000));
        QStringList randomReplies{replyText(chat->turns().last())};
        QSet<QString> seeds{json(chat->turns().last().sampling).value(QStringLiteral("seed")).toString()};
        for (int i = 0; i < 2; ++i) {
            chat->regenerate();
            QVERIFY(finished.wait(30000));
            randomReplies << replyText(chat->turns().last());
            seeds << json(chat->turns().last().sampling).value(QStringLiteral("seed")).toString();
        }
        QCOMPARE(seeds.size(), 3);
        QVERIFY2(QSet<QString>(randomReplies.begin(), randomReplies.end()).size() > 1,
                 qPrintable(randomReplies.join(QStringLiteral(" // "))));

        QCOMPARE(window.samplingPanel()->settings(), s);  // the panel shows the chat's settings
        window.findChild<QSpinBox*>(QStringLiteral("seedBox"))->setValue(1234);
        window.findChild<QCheckBox*>(QStringLiteral("randomSeedBox"))->setChecked(false);  // edits reach the chat
        QCOMPARE(chat->sampling().randomSeed, false);
        QCOMPARE(chat->sampling().seed, quint64(1234));
        QStringList fixedReplies;
        for (int i = 0; i < 2; ++i) {
            chat->regenerate();
            QVERIFY(finished.wait(30000));
            fixedReplies << replyText(chat->turns().last());
            const QJsonObject record = json(chat->turns().last().sampling);
            QCOMPARE(record.value(QStringLiteral("seed")).toString(), QStringLiteral("1234"));
            QCOMPARE(record.value(QStringLiteral("temperature")).toDouble(), 1.0);
            QCOMPARE(record.value(QStringLiteral("max_tokens")).toInt(), 24);
            QCOMPARE(record.value(QStringLiteral("model")).toString(), window.engineBridge()->model().path);
        }
        QCOMPARE(fixedReplies[0], fixedReplies[1]);
        QVERIFY(!fixedReplies[0].isEmpty());
    }

    // The settings are the session's: stored with it, brought back when it is reopened; each
    // stored reply keeps the settings it was made with.
    void samplingIsStoredPerSessionAndWithEachReply() {
        MainWindow window(m_dir.path());
        loadDemo(window);
        ChatController* chat = window.chat();
        SamplingSettings first;
        first.temperature = 0.3;
        first.maxTokens = 6;
        first.randomSeed = false;
        first.seed = 99;
        first.systemPrompt = QStringLiteral("You are terse.");
        chat->setSampling(first);
        QSignalSpy finished(chat, &ChatController::finished);
        chat->send(QStringLiteral("first session"));
        QVERIFY(finished.wait(30000));
        QTRY_VERIFY_WITH_TIMEOUT(chat->sessionId() != 0 && chat->turns().last().storeId != 0, 5000);
        const qint64 firstId = chat->sessionId();

        chat->newSession();
        QCOMPARE(chat->sampling(), first);  // a new session starts from the settings in use
        SamplingSettings second = first;
        second.temperature = 1.5;
        second.systemPrompt.clear();
        QCOMPARE(window.samplingPanel()->settings(), first);
        window.findChild<QDoubleSpinBox*>(QStringLiteral("temperatureBox"))->setValue(1.5);
        window.findChild<QPlainTextEdit*>(QStringLiteral("systemPromptEdit"))->clear();
        QTRY_COMPARE_WITH_TIMEOUT(chat->sampling(), second, 3000);
        chat->send(QStringLiteral("second session"));
        QVERIFY(finished.wait(30000));
        QTRY_VERIFY_WITH_TIMEOUT(chat->sessionId() != 0 && chat->turns().last().storeId != 0, 5000);
        const qint64 secondId = chat->sessionId();

        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                auto store = atelier::agents::SessionStore::open(dbPath().toStdString());
                return store && store->session(secondId) &&
                       SamplingSettings::fromJson(QString::fromStdString(store->session(secondId)->sampling)) == second;
            }(),
            5000);
        auto store = atelier::agents::SessionStore::open(dbPath().toStdString());
        QVERIFY(store.has_value());
        QCOMPARE(SamplingSettings::fromJson(QString::fromStdString(store->session(firstId)->sampling)), first);
        auto messages = store->messages(firstId);
        QVERIFY(messages.has_value() && messages->size() == 2);
        QVERIFY((*messages)[0].sampling.empty());  // the user's message: nothing generated
        const QJsonObject record = json(QString::fromStdString((*messages)[1].sampling));
        QCOMPARE(record.value(QStringLiteral("seed")).toString(), QStringLiteral("99"));
        QCOMPARE(record.value(QStringLiteral("system_prompt")).toString(), first.systemPrompt);

        // Reopening the first session brings its settings back, to the chat and the panel.
        QSignalSpy changed(chat, &ChatController::sessionChanged);
        emit window.loadSessionRequested(firstId);
        QVERIFY(changed.wait(5000));
        QCOMPARE(chat->sessionId(), firstId);
        QCOMPARE(chat->sampling(), first);
        QCOMPARE(window.samplingPanel()->settings(), first);
        QCOMPARE(chat->turns().last().sampling, QString::fromStdString((*messages)[1].sampling));
    }

    // Switching sessions resets the gauge, "Runs from", the notes and Regenerate/Edit, and a
    // reopened session's are recomputed from its turns.
    void switchingSessionsResetsAndRecomputesItsState() {
        MainWindow window(m_dir.path());
        loadDemo(window);
        ChatController* chat = window.chat();
        ContextPanel* panel = window.contextPanel();
        auto* regenerate = window.findChild<QPushButton*>(QStringLiteral("regenerateButton"));
        auto* edit = window.findChild<QPushButton*>(QStringLiteral("editButton"));
        QVERIFY(!regenerate->isEnabled() && !edit->isEnabled());  // an empty session
        chat->setMaxTokens(8);
        QSignalSpy finished(chat, &ChatController::finished);
        chat->send(QStringLiteral("Count the tokens of this conversation, please."));
        QVERIFY(finished.wait(30000));
        QTRY_VERIFY_WITH_TIMEOUT(chat->sessionId() != 0 && chat->turns().last().storeId != 0, 5000);
        const qint64 id = chat->sessionId();
        QVERIFY(regenerate->isEnabled() && edit->isEnabled());
        QVERIFY(panel->usedTokens() > 0);
        QVERIFY(panel->checkpointText() != QStringLiteral("Runs from: no checkpoint yet"));
        window.messageArea()->post(MessageArea::Severity::Error, QStringLiteral("generation"), QStringLiteral("old"));

        chat->newSession();
        QCOMPARE(panel->usedTokens(), qint64(0));
        QVERIFY(panel->gauge()->text().contains(QStringLiteral("Context: 0 of")));
        QCOMPARE(panel->checkpointText(), QStringLiteral("Runs from: no checkpoint yet"));
        QCOMPARE(window.messageArea()->count(), 0);
        QVERIFY(!regenerate->isEnabled() && !edit->isEnabled());

        // Reopened: enabled, and the gauge counts its turns (the tokenizer's count of them).
        QSignalSpy changed(chat, &ChatController::sessionChanged);
        emit window.loadSessionRequested(id);
        QVERIFY(changed.wait(5000));
        QVERIFY(!chat->turns().isEmpty());
        QVERIFY(regenerate->isEnabled() && edit->isEnabled());
        QString text;
        for (const ChatTurn& t : chat->turns()) text += t.reasoning + t.content + QLatin1Char('\n');
        auto tok = atelier::engine::Tokenizer::forModel(window.engineBridge()->model().path.toStdString());
        QVERIFY(tok.has_value());
        const auto expected = qint64(tok->encodeContent(text.toStdString()).size());
        QTRY_COMPARE_WITH_TIMEOUT(panel->usedTokens(), expected, 5000);
        QCOMPARE(panel->checkpointText(), QStringLiteral("Runs from: no checkpoint yet"));
        // Regenerate works on the reopened session.
        chat->regenerate();
        QVERIFY(finished.wait(30000));
        QCOMPARE(chat->turns().size(), 2);
    }

    // Editing right after an answer (its writes still on their way to the store) leaves the
    // store holding what the window shows, not the replaced turns as well.
    void editRightAfterAnAnswerLeavesNoStaleRows() {
        MainWindow window(m_dir.path());
        loadDemo(window);
        ChatController* chat = window.chat();
        chat->setMaxTokens(4);
        QSignalSpy finished(chat, &ChatController::finished);
        chat->send(QStringLiteral("first question"));
        QVERIFY(finished.wait(30000));
        chat->editLastUserMessage(QStringLiteral("better question"));  // before the store answered
        QVERIFY(finished.wait(30000));
        QTRY_VERIFY_WITH_TIMEOUT(chat->sessionId() != 0 && chat->turns().last().storeId != 0, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                auto store = atelier::agents::SessionStore::open(dbPath().toStdString());
                if (!store) return false;
                auto messages = store->messages(chat->sessionId());
                return messages && messages->size() == 2 &&
                       messages->front().content == "better question";
            }(),
            5000);
    }

    // A message past the context is not sent before the user chose: keep editing (nothing
    // sent), or drop the attachments (sent without them).
    void sendPastTheContextAsksFirst() {
        MainWindow window(m_dir.path());
        window.show();
        loadDemo(window);
        ChatController* chat = window.chat();
        chat->setMaxTokens(4);
        ContextPanel* panel = window.contextPanel();
        QTemporaryDir docs;
        const QString file = docs.filePath(QStringLiteral("big.txt"));
        {
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray("Revenue grew in every quarter of the year.\n").repeated(40));
        }
        panel->addPath(file);
        QTRY_VERIFY_WITH_TIMEOUT(panel->attachments()->totalTokens() > 0, 10000);
        const qint64 attached = panel->attachments()->totalTokens();
        panel->setContextLimit(attached + 20);  // the message below needs more than 20
        auto* input = window.findChild<QPlainTextEdit*>(QStringLiteral("messageInput"));
        const QString message = QStringLiteral("Please summarise the whole document in three short sentences for me.");
        QVERIFY(panel->estimateTokens(message) > 20);
        input->setPlainText(message);
        window.sendInput();
        QMessageBox* box = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((box = window.findChild<QMessageBox*>(QStringLiteral("contextOverflowBox"))), 3000);
        QVERIFY(chat->turns().isEmpty());
        QVERIFY(!chat->isBusy());
        QVERIFY(box->findChild<QPushButton*>(QStringLiteral("overflowDropAttachments")));
        box->findChild<QPushButton*>(QStringLiteral("overflowCancel"))->click();
        QTRY_VERIFY_WITH_TIMEOUT(!window.findChild<QMessageBox*>(QStringLiteral("contextOverflowBox")), 3000);
        QVERIFY(chat->turns().isEmpty());
        QCOMPARE(input->toPlainText(), message);  // kept for editing
        QCOMPARE(panel->attachments()->rowCount(), 1);

        window.sendInput();
        QTRY_VERIFY_WITH_TIMEOUT((box = window.findChild<QMessageBox*>(QStringLiteral("contextOverflowBox"))), 3000);
        QSignalSpy finished(chat, &ChatController::finished);
        box->findChild<QPushButton*>(QStringLiteral("overflowDropAttachments"))->click();
        QCOMPARE(panel->attachments()->rowCount(), 0);
        QVERIFY(chat->isBusy());
        QVERIFY(input->toPlainText().isEmpty());
        QVERIFY(finished.wait(30000));
        QCOMPARE(chat->turns().size(), 2);
        QCOMPARE(chat->turns().first().content, message);
    }
};

QTEST_MAIN(TestChatSessions)
#include "test_chat_sessions.moc"
