// ctest-labels: unit gui
// The app's scripted scenes (window_script.h), which app/gui/main.cpp only builds and starts:
// a plain --screenshot saves a PNG of the window and finishes with 0; --view opens the cited
// lines in the Viewer dock and shoots once they are shown; a screenshot that cannot be written
// finishes with 1 (the app's exit status); with no options there is nothing to script.

#include <QFile>
#include <QImage>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "atelier/ui/document_viewer.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/window_script.h"

using namespace atelier::ui;

class TestWindowScript : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

    QString dataDir() const { return m_dir.filePath(QStringLiteral("data")); }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir.filePath(QStringLiteral("settings")));
        QCoreApplication::setOrganizationName(QStringLiteral("atelier-test"));
        QCoreApplication::setApplicationName(QStringLiteral("test_window_script"));
    }

    void nothingToScriptWithoutOptions() {
        QVERIFY(!WindowScriptOptions{}.any());
        WindowScriptOptions shot;
        shot.screenshot = QStringLiteral("x.png");
        QVERIFY(shot.any());
    }

    void aPlainScreenshotIsSavedAndFinishesWithZero() {
        MainWindow window(dataDir());
        window.resize(900, 600);
        window.show();
        WindowScriptOptions o;
        o.screenshot = m_dir.filePath(QStringLiteral("plain.png"));
        WindowScript script(window, o);
        QSignalSpy finished(&script, &WindowScript::finished);
        script.start();
        QVERIFY(finished.wait(10000));
        QCOMPARE(finished.first().at(0).toInt(), 0);
        QImage image(o.screenshot, "PNG");
        QVERIFY(!image.isNull());
        QVERIFY(image.width() >= 800 && image.height() >= 500);
        QTest::qWait(100);
        QCOMPARE(finished.size(), 1);  // one scene, one ending
    }

    void theViewSceneShootsOnceTheCitedLinesAreShown() {
        const QString source = m_dir.filePath(QStringLiteral("notes.txt"));
        QFile f(source);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("one\ntwo\nthree\nfour\nfive\n");
        f.close();
        MainWindow window(dataDir());
        window.resize(900, 600);
        window.show();
        WindowScriptOptions o;
        o.view = source + QStringLiteral(":2-3");
        o.screenshot = m_dir.filePath(QStringLiteral("view.png"));
        WindowScript script(window, o);
        QSignalSpy shown(window.documentViewer(), &DocumentViewer::shown);
        QSignalSpy finished(&script, &WindowScript::finished);
        script.start();
        QVERIFY(finished.wait(10000));
        QCOMPARE(finished.first().at(0).toInt(), 0);
        QCOMPARE(shown.size(), 1);  // the shot waited for the viewer
        QVERIFY(!QImage(o.screenshot, "PNG").isNull());
    }

    void aScreenshotThatCannotBeWrittenFinishesWithOne() {
        MainWindow window(dataDir());
        window.show();
        WindowScriptOptions o;
        o.screenshot = m_dir.filePath(QStringLiteral("no-such-folder/shot.png"));
        WindowScript script(window, o);
        QSignalSpy finished(&script, &WindowScript::finished);
        script.start();
        QVERIFY(finished.wait(10000));
        QCOMPARE(finished.first().at(0).toInt(), 1);
        QVERIFY(!QFile::exists(o.screenshot));
    }
};

QTEST_MAIN(TestWindowScript)
#include "test_window_script.moc"
