// ctest-labels: unit gui
// The main window opens with the skeleton of the final layout: sessions sidebar, conversation
// area, and the context, team and activity docks, plus a menu bar with an About action.

#include <QDockWidget>
#include <QLabel>
#include <QMenuBar>
#include <QTextBrowser>
#include <QtTest>

#include "atelier/ui/about_dialog.h"
#include "atelier/ui/main_window.h"
#include "atelier/version.h"

using atelier::ui::MainWindow;

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void opensWithEveryDock() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window) || qEnvironmentVariable("QT_QPA_PLATFORM") == "offscreen");
        for (const char* name : {"sessionsDock", "contextDock", "teamDock", "activityDock"}) {
            auto* dock = window.findChild<QDockWidget*>(QString::fromLatin1(name));
            QVERIFY2(dock != nullptr, name);
            QVERIFY2(dock->isVisible(), name);
        }
        QCOMPARE(window.dockWidgetArea(window.sessionsDock()), Qt::LeftDockWidgetArea);
        QCOMPARE(window.dockWidgetArea(window.contextDock()), Qt::RightDockWidgetArea);
        QCOMPARE(window.dockWidgetArea(window.activityDock()), Qt::BottomDockWidgetArea);
        QVERIFY(window.findChild<QWidget*>(QStringLiteral("conversationView")) != nullptr);
        QVERIFY(window.findChild<QWidget*>(QStringLiteral("messageInput")) != nullptr);
    }

    void menuBarHasAbout() {
        MainWindow window;
        const auto menus = window.menuBar()->findChildren<QMenu*>();
        QStringList titles;
        for (auto* m : menus) titles << m->title();
        QVERIFY2(titles.contains(QStringLiteral("&Help")), qPrintable(titles.join(',')));
        QVERIFY(window.findChild<QAction*>(QStringLiteral("aboutAction")) != nullptr);
    }

    void aboutShowsVersionAndLicences() {
        atelier::ui::AboutDialog dialog;
        auto* version = dialog.findChild<QLabel*>(QStringLiteral("aboutVersion"));
        QVERIFY(version != nullptr);
        QVERIFY(version->text().contains(QString::fromLatin1(atelier::kVersion)));
        const QString licences = atelier::ui::AboutDialog::licenceText();
        for (const char* lib : {"Qt", "SQLite", "spdlog", "libgit2", "Poppler", "MIT"})
            QVERIFY2(licences.contains(QString::fromLatin1(lib)), lib);
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
