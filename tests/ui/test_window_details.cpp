// ctest-labels: unit gui
// Small window defects of #19 (item 11): File ▸ Create Demo Model offers every preset of
// `atelier-cli model create` and remembers the last one made (it always made "tiny"); a prefill
// cancelled before its first token says so, and how far it got (it said "a full prefill of N
// tokens"); the keyboard starts on the page shown and moves to the message box when the
// conversation shows (it landed in the session search box).

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "atelier/agents/session_store.h"
#include "atelier/engine/model_config.h"
#include "atelier/ui/context_panel.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/model_summary.h"
#include "atelier/ui/session_list_model.h"

using namespace atelier::ui;

class TestWindowDetails : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir.filePath(QStringLiteral("settings")));
        QCoreApplication::setOrganizationName(QStringLiteral("atelier-test"));
        QCoreApplication::setApplicationName(QStringLiteral("test_window_details"));
    }

    void demoMenuOffersEveryPresetAndRemembersTheLast() {
        const QString data = m_dir.filePath(QStringLiteral("demo-data"));
        // A bench demo "written before": choosing it loads that folder again instead of writing
        // a gigabyte (the load fails, which is fine here).
        const QString bench = data + QStringLiteral("/models/demo-bench");
        QVERIFY(QDir().mkpath(bench));
        QFile marker(bench + QLatin1Char('/') + QString::fromLatin1(kDemoMarkerFile));
        QVERIFY(marker.open(QIODevice::WriteOnly));
        marker.close();
        QStringList presets;
        for (const auto& name : atelier::engine::presetNames()) presets << QString::fromStdString(name);
        {
            MainWindow window(data);
            auto* menu = window.findChild<QMenu*>(QStringLiteral("demoModelMenu"));
            QVERIFY(menu);
            QStringList offered;
            for (QAction* a : menu->actions()) offered << a->data().toString();
            QCOMPARE(offered, presets);
            auto* welcome = window.findChild<QComboBox*>(QStringLiteral("demoPreset"));
            QVERIFY(welcome);
            QStringList onWelcome;
            for (int i = 0; i < welcome->count(); ++i) onWelcome << welcome->itemData(i).toString();
            QCOMPARE(onWelcome, presets);
            QCOMPARE(welcome->currentData().toString(), QStringLiteral("tiny"));  // nothing made yet
            auto* action = window.findChild<QAction*>(QStringLiteral("demoPreset-bench"));
            QVERIFY(action);
            action->trigger();
            QVERIFY(action->isChecked());
            QCOMPARE(welcome->currentData().toString(), QStringLiteral("bench"));
        }
        MainWindow again(data);
        auto* action = again.findChild<QAction*>(QStringLiteral("demoPreset-bench"));
        QVERIFY(action && action->isChecked());
        QVERIFY(!again.findChild<QAction*>(QStringLiteral("demoPreset-tiny"))->isChecked());
        QCOMPARE(again.findChild<QComboBox*>(QStringLiteral("demoPreset"))->currentData().toString(),
                 QStringLiteral("bench"));
    }

    void aCancelledPrefillSaysSo() {
        EngineBridge bridge;
        ContextPanel panel(&bridge);
        GenerationStats full;
        full.promptTokens = 6068;
        panel.onFinished(full);
        QVERIFY(panel.checkpointText().contains(QStringLiteral("full prefill of 6068")));

        panel.onPrefill(0, 6068);
        panel.onPrefill(1536, 6068);
        GenerationStats cancelled;
        cancelled.finish = atelier::agents::TurnFinish::Cancelled;
        cancelled.promptTokens = 6068;
        panel.onBusy(false);
        panel.onFinished(cancelled);
        const QString text = panel.checkpointText();
        QVERIFY2(text.contains(QStringLiteral("cancelled")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("1536")) && text.contains(QStringLiteral("6068")), qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral("full prefill")), qPrintable(text));

        // Without progress reported (a short prompt, a remote model) it still says cancelled.
        panel.onFinished(cancelled);
        QVERIFY2(panel.checkpointText().contains(QStringLiteral("cancelled")), qPrintable(panel.checkpointText()));
        QVERIFY(!panel.checkpointText().contains(QStringLiteral("1536")));
        // Stopped while answering: the prompt was prefilled in full.
        GenerationStats answering = cancelled;
        answering.completionTokens = 12;
        panel.onPrefill(6068, 6068);
        panel.onFinished(answering);
        QVERIFY(panel.checkpointText().contains(QStringLiteral("full prefill of 6068")));
    }

    void keyboardStartsOnThePageShownThenTheMessageBox() {
        const QString data = m_dir.filePath(QStringLiteral("focus-data"));
        QVERIFY(QDir().mkpath(data));
        {
            auto store = atelier::agents::SessionStore::open((data + QStringLiteral("/atelier.db")).toStdString());
            QVERIFY(store.has_value());
            atelier::agents::Session s;
            s.title = "notes";
            auto sid = store->createSession(s);
            QVERIFY(sid.has_value());
            atelier::agents::Message m;
            m.sessionId = *sid;
            m.role = "user";
            m.content = "hello";
            QVERIFY(store->addMessage(m).has_value());
        }
        MainWindow window(data);
        window.show();
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        auto* search = window.findChild<QLineEdit*>(QStringLiteral("sessionSearch"));
        auto* input = window.findChild<QPlainTextEdit*>(QStringLiteral("messageInput"));
        QVERIFY(search && input);
        // No model yet: the welcome page's first step (Create demo model) has the keyboard.
        QVERIFY2(QApplication::focusWidget() == window.findChild<QPushButton*>(QStringLiteral("createDemoButton")),
                 qPrintable(QApplication::focusWidget() ? QApplication::focusWidget()->objectName() : QStringLiteral("none")));
        QVERIFY(!search->hasFocus());
        QTRY_COMPARE_WITH_TIMEOUT(window.sessionModel()->sessionCount(), 1, 5000);
        emit window.loadSessionRequested(1);  // the conversation page shows
        QTRY_VERIFY2_WITH_TIMEOUT(QApplication::focusWidget() == input,
                                  qPrintable(QApplication::focusWidget() ? QApplication::focusWidget()->objectName()
                                                                         : QStringLiteral("none")),
                                  5000);
    }
};

QTEST_MAIN(TestWindowDetails)
#include "test_window_details.moc"
