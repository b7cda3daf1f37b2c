#include "atelier/ui/approval_dialog.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace atelier::ui {

ApprovalDialog::ApprovalDialog(const QString& agent, const QString& tool, const QJsonObject& args,
                               QWidget* parent)
    : QDialog(parent) {
    setObjectName(QStringLiteral("approvalDialog"));
    setWindowTitle(tr("Approve a tool call"));
    auto* layout = new QVBoxLayout(this);
    auto* what = new QLabel(tr("Agent <b>%1</b> wants to call <b>%2</b> with:")
                                .arg(agent.toHtmlEscaped(), tool.toHtmlEscaped()), this);
    what->setObjectName(QStringLiteral("approvalSummary"));
    layout->addWidget(what);
    auto* arguments = new QPlainTextEdit(QString::fromUtf8(QJsonDocument(args).toJson(QJsonDocument::Indented)), this);
    arguments->setObjectName(QStringLiteral("approvalArguments"));
    arguments->setReadOnly(true);
    arguments->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    layout->addWidget(arguments, 1);
    auto* buttons = new QDialogButtonBox(this);
    auto* once = buttons->addButton(tr("Allow once"), QDialogButtonBox::AcceptRole);
    once->setObjectName(QStringLiteral("allowOnceButton"));
    auto* always = buttons->addButton(tr("Always allow (this run)"), QDialogButtonBox::AcceptRole);
    always->setObjectName(QStringLiteral("allowAlwaysButton"));
    auto* deny = buttons->addButton(tr("Deny"), QDialogButtonBox::RejectRole);
    deny->setObjectName(QStringLiteral("denyButton"));
    deny->setDefault(true);  // Enter never approves by accident
    connect(once, &QPushButton::clicked, this, [this] { finishWith(ApprovalChoice::AllowOnce); });
    connect(always, &QPushButton::clicked, this, [this] { finishWith(ApprovalChoice::AlwaysForRun); });
    connect(deny, &QPushButton::clicked, this, [this] { finishWith(ApprovalChoice::Deny); });
    connect(this, &QDialog::rejected, this, [this] {
        if (m_choice == ApprovalChoice::Deny) emit decided(ApprovalChoice::Deny);
    });
    layout->addWidget(buttons);
    resize(520, 320);
}

void ApprovalDialog::finishWith(ApprovalChoice choice) {
    m_choice = choice;
    if (choice == ApprovalChoice::Deny) {
        reject();  // emits decided(Deny) once, through rejected
        return;
    }
    emit decided(choice);
    accept();
}

}  // namespace atelier::ui
