#pragma once
// ApprovalBroker: lets an agent thread ask the user about a tool call and wait for the answer,
// while the GUI thread stays free. ask() posts the question to the GUI thread, which shows an
// ApprovalDialog (unless an earlier "Always allow (this run)" covers the agent and tool) and
// fulfils the waiting thread's promise with the choice. Fits TeamRuntimeOptions::approve, which
// may block its agent thread.
// Threads: ask() from any thread but the GUI thread; everything else on the GUI thread. Calls
// still waiting when the broker is destroyed (or cancelAll()) are denied; the owner must make
// sure no new ask() starts once destruction begins (end the run first).

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <future>
#include <memory>

#include "atelier/ui/approval_dialog.h"

namespace atelier::ui {

class ApprovalBroker : public QObject {
    Q_OBJECT
public:
    explicit ApprovalBroker(QWidget* dialogParent, QObject* parent = nullptr);
    ~ApprovalBroker() override;

    // Blocks the calling (agent) thread until the user answers; true allows the call.
    bool ask(const QString& agent, const QString& tool, const QJsonObject& args);

    // GUI thread: the dialog waiting for the user, if any; a new run forgets "always" answers.
    ApprovalDialog* pendingDialog() const { return m_dialog; }
    void startRun() { m_run.reset(); }
    // Questions received and not answered yet (the one shown included).
    int pendingCount() const { return int(m_queue.size()) + (m_current ? 1 : 0); }
    void cancelAll();

signals:
    void questionShown(const QString& agent, const QString& tool);

private:
    struct Question {
        QString agent, tool;
        QJsonObject args;
        std::shared_ptr<std::promise<bool>> answer;
    };
    void enqueue(Question q);  // GUI thread
    void showNext();           // GUI thread

    QWidget* m_dialogParent;
    RunApprovals m_run;                 // GUI thread
    QList<Question> m_queue;            // GUI thread: questions after the one shown
    std::shared_ptr<std::promise<bool>> m_current;  // GUI thread: the one shown
    QPointer<ApprovalDialog> m_dialog;
};

}  // namespace atelier::ui
