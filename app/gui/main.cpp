// atelier: the desktop application.

#include <cstdio>
#include <cstdlib>

#include <QApplication>
#include <QCommandLineParser>
#include <QPixmap>
#include <QScreen>
#include <QTimer>

#include "atelier/ui/main_window.h"
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
    parser.process(app);

    atelier::app::LoggingOptions logging;
    logging.dataDir = atelier::app::resolveDataDir(parser.value(dataDir).toStdString());
    atelier::app::setupLogging(logging);

    atelier::ui::MainWindow window(QString::fromStdString(logging.dataDir.string()));
    window.show();
    if (parser.isSet(screenshot)) {
        const QString path = parser.value(screenshot);
        QTimer::singleShot(1500, &window, [&window, path] {
            QScreen* screen = window.screen();
            QPixmap shot = screen ? screen->grabWindow(window.winId()) : QPixmap();
            if (shot.isNull()) shot = window.grab();
            const bool ok = shot.save(path, "PNG");
            std::fprintf(stderr, ok ? "atelier: screenshot saved to %s\n"
                                    : "atelier: cannot save the screenshot to %s\n",
                         qPrintable(path));
            QApplication::exit(ok ? 0 : 1);
        });
    }
    return app.exec();
}
