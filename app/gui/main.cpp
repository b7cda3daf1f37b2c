// atelier: the desktop application.

#include <cstdio>
#include <cstdlib>

#include <QApplication>
#include <QCommandLineParser>
#include <QStyleFactory>

#include "atelier/ui/main_window.h"
#include "atelier/ui/window_script.h"
#include "atelier/ui/window_walkthrough.h"
#include "atelier/version.h"
#include "common/data_dir.h"
#include "common/logging.h"

namespace {

bool haveDisplay() {
    auto set = [](const char* name) {
        const char* v = std::getenv(name);
        return v != nullptr && *v != '\0';
    };
    // An explicit platform (offscreen, vnc, eglfs…) needs no windowing system.
    return set("DISPLAY") || set("WAYLAND_DISPLAY") || set("QT_QPA_PLATFORM");
}

}  // namespace

int main(int argc, char** argv) {
    if (!haveDisplay()) {
        std::fprintf(stderr,
                     "atelier: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
                     "The desktop application needs a graphical session. On this machine, use\n"
                     "the headless command line instead, for example:\n"
                     "  build/bin/atelier-cli --help\n"
                     "  build/bin/atelier-cli model create --preset tiny --out /tmp/tiny\n");
        return 1;
    }
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Atelier"));
    QApplication::setOrganizationName(QStringLiteral("Atelier"));
    QApplication::setApplicationVersion(QString::fromLatin1(atelier::kVersion));
    QApplication::setDesktopFileName(QStringLiteral("atelier"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Atelier: a local agent workstation"));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption dataDir(QStringLiteral("data-dir"), QStringLiteral("Data folder."),
                               QStringLiteral("DIR"));
    parser.addOption(dataDir);
    QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        QStringLiteral("Save a PNG of the window as the screen shows it, then quit."),
        QStringLiteral("FILE"));
    parser.addOption(screenshot);
    QCommandLineOption demo(QStringLiteral("demo"),
                            QStringLiteral("Create (or reuse) the tiny demo model in the data folder, load "
                                           "it, attach its note, show a team and ask a question."));
    parser.addOption(demo);
    QCommandLineOption dark(QStringLiteral("dark"), QStringLiteral("Use the dark theme."));
    parser.addOption(dark);
    QCommandLineOption dialogShot(QStringLiteral("model-dialog"),
                                  QStringLiteral("With --demo and --screenshot: capture the model dialog."));
    parser.addOption(dialogShot);
    QCommandLineOption teamShot(QStringLiteral("team-run"),
                                QStringLiteral("With --demo: run the document-analyst team on the demo "
                                               "model's folder instead of asking a question."));
    parser.addOption(teamShot);
    QCommandLineOption view(QStringLiteral("view"),
                            QStringLiteral("Open a source in the Viewer dock: FILE[:LINE[-LAST]], "
                                           "PAPER.pdf[:PAGE][=PASSAGE] or REPOSITORY@REVISION."),
                            QStringLiteral("SOURCE"));
    parser.addOption(view);
    QCommandLineOption walkthrough(
        QStringLiteral("walkthrough"),
        QStringLiteral("Walk through a user's journey in the window (demo model, chat, attached PDF, Viewer, "
                       "team run with an approval, checkpoint, quit), saving DIR/NN-step.png per step; exits "
                       "1 naming the step that failed."),
        QStringLiteral("DIR"));
    parser.addOption(walkthrough);
    QCommandLineOption walkthroughDocument(QStringLiteral("walkthrough-document"),
                                           QStringLiteral("With --walkthrough: the multi-page PDF to attach."),
                                           QStringLiteral("FILE"));
    parser.addOption(walkthroughDocument);
    QCommandLineOption walkthroughResume(
        QStringLiteral("walkthrough-resume"),
        QStringLiteral("With --walkthrough: the second phase, after a restart on the same data folder: "
                       "reopen the walkthrough's chat session."));
    parser.addOption(walkthroughResume);
    parser.process(app);
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));

    atelier::app::LoggingOptions logging;
    logging.dataDir = atelier::app::resolveDataDir(parser.value(dataDir).toStdString());
    atelier::app::setupLogging(logging);

    atelier::ui::WindowScriptOptions scriptOptions;
    scriptOptions.demo = parser.isSet(demo);
    scriptOptions.modelDialog = parser.isSet(dialogShot);
    scriptOptions.teamRun = parser.isSet(teamShot);
    scriptOptions.view = parser.value(view);
    scriptOptions.screenshot = parser.value(screenshot);

    atelier::ui::MainWindow window(QString::fromStdString(logging.dataDir.string()));
    if (parser.isSet(dark)) window.setDarkTheme(true);
    // The layout the user left, except for a scripted run (demo, screenshots), which starts from
    // the default one. The walkthrough keeps it: its restart is a user's restart.
    if (!scriptOptions.any()) window.restoreLayout();
    window.show();
    if (parser.isSet(walkthrough)) {
        atelier::ui::WalkthroughOptions o;
        o.dir = parser.value(walkthrough);
        o.document = parser.value(walkthroughDocument);
        o.resume = parser.isSet(walkthroughResume);
        // The second phase is a restart: the last model loads again, as at any start.
        if (o.resume) window.reloadLastModel();
        atelier::ui::WindowWalkthrough walk(window, o);
        QObject::connect(&walk, &atelier::ui::WindowWalkthrough::finished, &app,
                         [](int code) { QApplication::exit(code); });
        walk.start();
        return app.exec();
    }
    // A scripted run (demo, screenshots) starts from a known state, not the last model.
    if (!scriptOptions.demo && scriptOptions.screenshot.isEmpty()) window.reloadLastModel();
    atelier::ui::WindowScript script(window, scriptOptions);
    QObject::connect(&script, &atelier::ui::WindowScript::finished, &app, [&scriptOptions](int code) {
        if (code == 0)
            std::fprintf(stderr, "atelier: screenshot saved to %s\n", qPrintable(scriptOptions.screenshot));
        QApplication::exit(code);
    });
    if (scriptOptions.any()) script.start();
    return app.exec();
}
