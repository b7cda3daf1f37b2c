// WindowScript (window_script.h): the scripted scenes of the app's --demo, --view and
// --screenshot options.

#include "atelier/ui/window_script.h"

#include <QDir>
#include <QDockWidget>
#include <QPixmap>
#include <QScreen>
#include <QTimer>
#include <QWidget>

#include "atelier/base/log.h"
#include "atelier/ui/chat_controller.h"
#include "atelier/ui/context_panel.h"
#include "atelier/ui/document_viewer.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/model_dialog.h"
#include "atelier/ui/model_summary.h"
#include "atelier/ui/source_link.h"
#include "atelier/ui/team_controller.h"
#include "atelier/ui/team_panel.h"

namespace atelier::ui {

namespace {

// The pause between a scene's last event and its screenshot, so its last paint has landed.
constexpr int kSettleMs = 400;
// Without a scene, the window is captured once its first layout is shown.
constexpr int kPlainShotMs = 1500;

// The demo team run: the one-agent document-analyst team on the demo model's folder, with
// short turns and a small token budget so the untrained model ends it quickly.
void startDemoTeamRun(MainWindow& window, const QString& modelPath) {
    TeamPanel* panel = window.teamPanel();
    window.teamDock()->raise();
    window.teamController()->setLimits(24, 6000);
    panel->setWorkspace(modelPath);
    panel->setTask(QStringLiteral("What does the demo note say about this model?"));
    QObject::connect(panel, &TeamPanel::teamLoaded, panel, [panel] { panel->runTeam(); },
                     Qt::SingleShotConnection);
    panel->loadTeam(QStringLiteral("document-analyst"));
}

}  // namespace

WindowScript::WindowScript(MainWindow& window, WindowScriptOptions options, QObject* parent)
    : QObject(parent), m_window(window), m_options(std::move(options)) {}

void WindowScript::start() {
    if (m_options.demo) startDemo();
    else if (!m_options.view.isEmpty()) startView();
    else if (!m_options.screenshot.isEmpty())
        QTimer::singleShot(kPlainShotMs, this, [this] { saveShot(&m_window); });
}

void WindowScript::startDemo() {
    EngineBridge* bridge = m_window.engineBridge();
    connect(bridge, &EngineBridge::loaded, this, [this](const ModelSummary& s) {
        if (m_options.modelDialog) {
            m_window.openModelPath(s.path);
            return;
        }
        if (m_options.teamRun) {
            startDemoTeamRun(m_window, s.path);
            return;
        }
        // A short document keeps the scripted prefill quick on a loaded machine.
        m_window.contextPanel()->addPath(QDir(s.path).filePath(QString::fromLatin1(kDemoMarkerFile)));
        m_window.teamPanel()->loadTeam(QStringLiteral("review-team"));
        m_window.chat()->setMaxTokens(48);
        QTimer::singleShot(500, this, [this] {
            m_window.chat()->send(QStringLiteral("What does the attached note say about this model?"));
        });
    });
    m_window.createDemoModel(QStringLiteral("tiny"));
    if (m_options.screenshot.isEmpty()) return;
    auto wholeWindow = [this]() -> QWidget* { return &m_window; };
    connect(m_window.chat(), &ChatController::finished, this, [this, wholeWindow] { saveShotSoon(wholeWindow); });
    connect(m_window.teamController(), &TeamController::finished, this,
            [this, wholeWindow] { saveShotSoon(wholeWindow); });
    // The model dialog once it shows its plan: the first plan on a machine measures its memory
    // and disk for a few seconds, and a shot taken before shows "Measuring this machine…".
    if (m_options.modelDialog) {
        const auto dialogShot = [this] {
            saveShotSoon([this]() -> QWidget* { return m_window.pendingModelDialog(); });
        };
        connect(bridge, &EngineBridge::planned, this, dialogShot);
        connect(bridge, &EngineBridge::planFailed, this, dialogShot);
    }
    QTimer::singleShot(kDemoTimeoutMs, this, [this] {
        if (m_done) return;
        atelier::logger("ui")->error("the demo scene did not settle within {} s", kDemoTimeoutMs / 1000);
        m_done = true;
        emit finished(1);
    });
}

void WindowScript::startView() {
    DocumentViewer* viewer = m_window.documentViewer();
    if (!m_options.screenshot.isEmpty())
        connect(viewer, &DocumentViewer::shown, this, [this] { saveShotSoon([this]() -> QWidget* { return &m_window; }); });
    const SourceLink source = sourceLinkFromSpec(m_options.view);
    QTimer::singleShot(0, this, [this, source] { m_window.openSource(source); });
}

void WindowScript::saveShotSoon(std::function<QWidget*()> what) {
    QTimer::singleShot(kSettleMs, this, [this, what = std::move(what)] {
        if (QWidget* w = what()) saveShot(w);
    });
}

void WindowScript::saveShot(QWidget* what) {
    if (m_done) return;
    QScreen* screen = what->screen();
    QPixmap shot = screen ? screen->grabWindow(what->winId()) : QPixmap();
    if (shot.isNull()) shot = what->grab();
    const bool ok = shot.save(m_options.screenshot, "PNG");
    if (ok) atelier::logger("ui")->info("screenshot saved to {}", m_options.screenshot.toStdString());
    else atelier::logger("ui")->error("cannot save the screenshot to {}", m_options.screenshot.toStdString());
    m_done = true;
    emit finished(ok ? 0 : 1);
}

}  // namespace atelier::ui
