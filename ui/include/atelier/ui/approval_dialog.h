#pragma once
// ApprovalDialog: asks the user about one tool call an agent wants to make — the agent, the tool
// and its arguments — with Allow once, Always allow (for this run) and Deny. RunApprovals
// remembers the "always" answers for the rest of a run, per agent and tool. GUI thread only.

#include <QDialog>
#include <QJsonObject>
#include <QMetaType>
#include <QSet>
#include <QString>

namespace atelier::ui {

enum class ApprovalChoice { AllowOnce, AlwaysForRun, Deny };

class ApprovalDialog : public QDialog {
    Q_OBJECT
public:
    ApprovalDialog(const QString& agent, const QString& tool, const QJsonObject& args,
                   QWidget* parent = nullptr);
    ApprovalChoice choice() const { return m_choice; }

signals:
    void decided(atelier::ui::ApprovalChoice choice);

private:
    void finishWith(ApprovalChoice choice);
    ApprovalChoice m_choice = ApprovalChoice::Deny;  // closing the dialog denies
};

class RunApprovals {
public:
    // True when an earlier "Always allow" covers this agent and tool.
    bool covered(const QString& agent, const QString& tool) const {
        return m_always.contains(agent + QLatin1Char('\n') + tool);
    }
    // Records a choice; returns whether the call is allowed.
    bool record(const QString& agent, const QString& tool, ApprovalChoice choice) {
        if (choice == ApprovalChoice::AlwaysForRun) m_always.insert(agent + QLatin1Char('\n') + tool);
        return choice != ApprovalChoice::Deny;
    }
    void reset() { m_always.clear(); }

private:
    QSet<QString> m_always;
};

}  // namespace atelier::ui

Q_DECLARE_METATYPE(atelier::ui::ApprovalChoice)
