// atelier: the desktop application.

#include <cstdio>
#include <cstdlib>

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QStyleFactory>
#include <QCommandLineParser>
#include <QPixmap>
#include <QScreen>
#include <QTimer>

#include "atelier/ui/chat_controller.h"
#include "atelier/ui/context_panel.h"
#include "atelier/ui/document_viewer.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/model_dialog.h"
#include "atelier/ui/team_controller.h"
#include "atelier/ui/team_panel.h"
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

// The demo team run: the one-agent document-analyst team on the demo model's folder, with
// short turns and a small token budget so the untrained model ends it quickly.
void startDemoTeamRun(atelier::ui::MainWindow& window, const QString& modelPath) {
    atelier::ui::TeamPanel* panel = window.teamPanel();
    window.teamDock()->raise();
    window.teamController()->setLimits(24, 6000);
    panel->setWorkspace(modelPath);
    panel->setTask(QStringLiteral("What does the demo note say about this model?"));
    QObject::connect(panel, &atelier::ui::TeamPanel::teamLoaded, panel, [panel] { panel->runTeam(); },
                     Qt::SingleShotConnection);
    panel->loadTeam(QStringLiteral("document-analyst"));
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
    parser.process(app);
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));

    atelier::app::LoggingOptions logging;
    logging.dataDir = atelier::app::resolveDataDir(parser.value(dataDir).toStdString());
    atelier::app::setupLogging(logging);

    atelier::ui::MainWindow window(QString::fromStdString(logging.dataDir.string()));
    if (parser.isSet(dark)) window.setDarkTheme(true);
    window.show();
    const QString shotPath = parser.value(screenshot);
    auto saveShot = [&window, shotPath](QWidget* what) {
        QScreen* screen = what->screen();
        QPixmap shot = screen ? screen->grabWindow(what->winId()) : QPixmap();
        if (shot.isNull()) shot = what->grab();
        const bool ok = shot.save(shotPath, "PNG");
        std::fprintf(stderr, ok ? "atelier: screenshot saved to %s\n"
                                : "atelier: cannot save the screenshot to %s\n",
                     qPrintable(shotPath));
        QApplication::exit(ok ? 0 : 1);
    };
    if (parser.isSet(demo)) {
        // A scripted first session, for screenshots and a quick look at every panel.
        auto* bridge = window.engineBridge();
        QObject::connect(bridge, &atelier::ui::EngineBridge::loaded, &window,
                         [&window, &parser, &dialogShot, &teamShot](const atelier::ui::ModelSummary& s) {
            if (parser.isSet(dialogShot)) {
                window.openModelPath(s.path);
                return;
            }
            if (parser.isSet(teamShot)) {
                startDemoTeamRun(window, s.path);
                return;
            }
            // A short document keeps the scripted prefill quick on a loaded machine.
            window.contextPanel()->addPath(QDir(s.path).filePath(QString::fromLatin1(atelier::ui::kDemoMarkerFile)));
            window.teamPanel()->loadTeam(QStringLiteral("review-team"));
            window.chat()->setMaxTokens(48);
            QTimer::singleShot(500, &window, [&window] {
                window.chat()->send(QStringLiteral("What does the attached note say about this model?"));
            });
        });
        window.createDemoModel(QStringLiteral("tiny"));
        if (!shotPath.isEmpty()) {
            QObject::connect(window.chat(), &atelier::ui::ChatController::finished, &window,
                             [&window, saveShot] { QTimer::singleShot(400, &window, [&window, saveShot] { saveShot(&window); }); });
            QObject::connect(window.teamController(), &atelier::ui::TeamController::finished, &window,
                             [&window, saveShot] { QTimer::singleShot(400, &window, [&window, saveShot] { saveShot(&window); }); });
            QObject::connect(bridge, &atelier::ui::EngineBridge::inspected, &window, [&window, saveShot] {
                QTimer::singleShot(400, &window, [&window, saveShot] {
                    if (auto* d = window.pendingModelDialog()) saveShot(d);
                });
            });
            // Never hang a test; generous, since sanitizer builds run the demo team many times slower.
            QTimer::singleShot(150000, &window, [] { QApplication::exit(1); });
        }
    } else if (parser.isSet(view)) {
        auto* viewer = window.documentViewer();
        if (!shotPath.isEmpty())
            QObject::connect(viewer, &atelier::ui::DocumentViewer::shown, &window,
                             [&window, saveShot] { QTimer::singleShot(400, &window, [&window, saveShot] { saveShot(&window); }); });
        const auto source = atelier::ui::sourceLinkFromSpec(parser.value(view));
        QTimer::singleShot(0, &window, [&window, source] { window.openSource(source); });
    } else if (!shotPath.isEmpty()) {
        QTimer::singleShot(1500, &window, [&window, saveShot] { saveShot(&window); });
    }
    return app.exec();
}
