#pragma once
// A scripted start of the window, for screenshots and a quick look at every panel: the demo
// session (the tiny demo model created or reused in the data folder, loaded, a document
// attached, a team shown and a question asked), the model dialog, a demo team run, a source
// opened in the Viewer dock, and a PNG of the window (or of the model dialog) saved once the
// scene has settled. The app's `--demo`, `--model-dialog`, `--team-run`, `--view` and
// `--screenshot` options fill WindowScriptOptions; main() only builds and starts the script.
// GUI thread only.

#include <functional>

#include <QObject>
#include <QString>

class QWidget;

namespace atelier::ui {

class MainWindow;

struct WindowScriptOptions {
    bool demo = false;         // the demo session
    bool modelDialog = false;  // with demo: the model dialog of the demo model instead
    bool teamRun = false;      // with demo: the document-analyst team on the demo model's folder
    QString view;              // without demo: a source for the Viewer dock (sourceLinkFromSpec)
    QString screenshot;        // a PNG of the scene to save, then finish; "" keeps the window open

    // Whether there is anything to script.
    bool any() const { return demo || !view.isEmpty() || !screenshot.isEmpty(); }
};

class WindowScript : public QObject {
    Q_OBJECT
public:
    // Capped so a scripted run never hangs a test; generous, since sanitizer builds run the demo
    // team many times slower.
    static constexpr int kDemoTimeoutMs = 150000;

    // `window` must outlive the script (make it the parent or destroy the script first).
    WindowScript(MainWindow& window, WindowScriptOptions options, QObject* parent = nullptr);

    // Starts the scene; with a screenshot, `finished` follows once it is saved.
    void start();

signals:
    // 0 when the screenshot was saved, 1 when it could not be, or when the demo scene did not
    // settle within kDemoTimeoutMs.
    void finished(int exitCode);

private:
    void startDemo();
    void startView();
    // Saves the widget `what` returns 400 ms from now (once the last paint has landed), as the
    // screen shows it; nothing when it returns null.
    void saveShotSoon(std::function<QWidget*()> what);
    void saveShot(QWidget* what);

    MainWindow& m_window;
    WindowScriptOptions m_options;
    bool m_done = false;  // `finished` was emitted
};

}  // namespace atelier::ui
