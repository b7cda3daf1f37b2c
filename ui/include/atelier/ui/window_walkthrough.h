#pragma once
// A scripted user's journey through the real window, for the Xvfb walkthrough test
// (tests/ui/xvfb_walkthrough.sh) and a look at every step: first start → the tiny demo model
// (the first-start panel's button) → a chat message and its reply → a PDF attached through the
// Attach dialog → the PDF opened in the Viewer and paged → Settings set to ask before every tool
// call → a team run whose tool call is approved in the approval dialog (the answer then listed
// in the Activity panel) → the context saved as a checkpoint (Tools ▸ Save Context as
// Checkpoint…, named in its dialog) and shown in the Checkpoints dialog → Quit. A second process
// on the same data folder (`resume`) finds the chat session in the sidebar and opens it, its
// messages shown.
//
// Every step works through the window's widgets and actions (button clicks, key presses,
// triggered menu actions); modal dialogs (file picker, settings, checkpoint name, approvals) are
// answered by the script. Each step waits for its result (polled every 50 ms, bounded by a
// timeout), then saves DIR/NN-step.png of the window as the screen shows it (dialogs over it
// included). `finished` gives 0 after the last step, 1 naming the step that failed.
// The app's --walkthrough, --walkthrough-document and --walkthrough-resume options.
// GUI thread only.

#include <functional>
#include <vector>

#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>

class QWidget;

namespace atelier::ui {

class MainWindow;

struct WalkthroughOptions {
    QString dir;       // where the screenshots (and the chat session's id, for resume) go
    QString document;  // the multi-page PDF to attach (first phase)
    bool resume = false;
};

class WindowWalkthrough : public QObject {
    Q_OBJECT
public:
    // One step's bound; generous, since sanitizer builds run the model many times slower.
    static constexpr int kStepTimeoutMs = 120000;
    // The chat message the first phase sends and the second one looks for.
    static QString message();

    // `window` must outlive the walkthrough.
    WindowWalkthrough(MainWindow& window, WalkthroughOptions options, QObject* parent = nullptr);

    void start();
    // The step that failed and why, "" while none has.
    QString failure() const { return m_failure; }

signals:
    void finished(int exitCode);

private:
    struct Step {
        QString name;                         // NN-name.png
        std::function<void()> act;            // what the user does (may open a modal dialog)
        std::function<bool(QWidget*)> answer;  // answers the modal dialog shown; true: answered
        std::function<bool()> done;           // the step's result is on screen
        bool shot = true;
        bool allowModal = false;              // done() may hold while a modal dialog is open
    };
    void begin();
    void buildFirstPhase();
    void buildResumePhase();
    void add(Step step) { m_steps.push_back(std::move(step)); }
    void runStep();
    void poll();
    void fail(const QString& why);
    void succeed();
    QString stepName() const;
    bool saveShot(const QString& file);

    MainWindow& m_window;
    WalkthroughOptions m_options;
    std::vector<Step> m_steps;
    int m_first = 1;    // the number of the first step (the second phase goes on numbering)
    int m_current = -1;
    bool m_acting = false;   // inside a step's act (a modal dialog's loop may be running)
    bool m_settling = false;  // done: waiting for the last paint before the screenshot
    QTimer m_poll;
    QTimer m_timeout;
    QString m_failure;
    // Progress seen through signals.
    bool m_chatFinished = false;
    bool m_viewerShown = false;
    bool m_teamFinished = false;
    QString m_teamStatus;
    int m_approvals = 0;
    qint64 m_sessionId = 0;
    QList<int> m_leftLayout;  // the second phase: what the first left (kLayoutFile)
};

}  // namespace atelier::ui
