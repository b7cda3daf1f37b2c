#include "atelier/ui/approval_broker.h"

#include <QThread>

#include "atelier/base/log.h"

namespace atelier::ui {

ApprovalBroker::ApprovalBroker(QWidget* dialogParent, QObject* parent)
    : QObject(parent), m_dialogParent(dialogParent) {}

ApprovalBroker::~ApprovalBroker() { cancelAll(); }

bool ApprovalBroker::ask(const QString& agent, const QString& tool, const QJsonObject& args) {
    if (QThread::currentThread() == thread()) {
        // Waiting here would freeze the window that must show the question.
        atelier::logger("ui")->error("approval asked on the GUI thread; denied");
        return false;
    }
    auto answer = std::make_shared<std::promise<bool>>();
    std::future<bool> result = answer->get_future();
    const bool posted = QMetaObject::invokeMethod(this, [this, q = Question{agent, tool, args, answer}] {
        enqueue(q);
    }, Qt::QueuedConnection);
    if (!posted) return false;
    // cancelAll() (also run by the destructor) answers false; a question still queued when the
    // broker goes away loses its promise, which get() reports as broken: denied, too.
    try {
        return result.get();
    } catch (const std::future_error&) {
        return false;
    }
}

void ApprovalBroker::enqueue(Question q) {
    if (m_run.covered(q.agent, q.tool)) {
        q.answer->set_value(true);
        return;
    }
    m_queue.append(std::move(q));
    if (!m_current) showNext();
}

void ApprovalBroker::showNext() {
    while (!m_queue.isEmpty()) {
        Question q = m_queue.takeFirst();
        if (m_run.covered(q.agent, q.tool)) {  // answered "always" while it waited
            q.answer->set_value(true);
            continue;
        }
        m_current = q.answer;
        auto* dialog = new ApprovalDialog(q.agent, q.tool, q.args, m_dialogParent);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        m_dialog = dialog;
        // Bound to this question's promise: a late signal of an older dialog cannot answer it.
        connect(dialog, &ApprovalDialog::decided, this,
                [this, answer = q.answer, agent = q.agent, tool = q.tool](ApprovalChoice c) {
                    if (m_current != answer) return;
                    m_current.reset();
                    m_dialog = nullptr;
                    answer->set_value(m_run.record(agent, tool, c));
                    showNext();
                });
        dialog->open();
        emit questionShown(q.agent, q.tool);
        return;
    }
}

void ApprovalBroker::cancelAll() {
    for (auto& q : m_queue) q.answer->set_value(false);
    m_queue.clear();
    if (m_current) {
        m_current->set_value(false);
        m_current.reset();
    }
    if (m_dialog) m_dialog->close();
}

}  // namespace atelier::ui
