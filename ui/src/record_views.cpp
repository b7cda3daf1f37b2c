#include "atelier/ui/record_views.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

#include "atelier/ui/record_models.h"

namespace atelier::ui {

CheckpointsDialog::CheckpointsDialog(QWidget* parent) : QDialog(parent) {
    setObjectName(QStringLiteral("checkpointsDialog"));
    setWindowTitle(tr("KV checkpoints"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("Saved prompt prefixes: a session whose prompt starts with one "
                                    "skips its prefill."), this));
    m_model = new CheckpointListModel(this);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("checkpointTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(m_table, 1);
    auto* row = new QHBoxLayout;
    auto* rename = new QPushButton(tr("Rename…"), this);
    auto* remove = new QPushButton(tr("Delete"), this);
    auto* refresh = new QPushButton(tr("Refresh"), this);
    auto* save = new QPushButton(tr("Save Current Context…"), this);
    save->setObjectName(QStringLiteral("saveCheckpointButton"));
    save->setToolTip(tr("Prefill the attachments and the conversation and keep them as a named checkpoint"));
    row->addWidget(save);
    row->addWidget(rename);
    row->addWidget(remove);
    row->addStretch(1);
    row->addWidget(refresh);
    layout->addLayout(row);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    connect(refresh, &QPushButton::clicked, this, &CheckpointsDialog::refreshRequested);
    connect(save, &QPushButton::clicked, this, &CheckpointsDialog::saveCurrentRequested);
    connect(remove, &QPushButton::clicked, this, [this] {
        if (const qint64 id = selectedId()) emit deleteRequested(id);
    });
    connect(rename, &QPushButton::clicked, this, [this] {
        const qint64 id = selectedId();
        if (!id) return;
        const QString current = m_table->currentIndex().siblingAtColumn(0).data(Qt::EditRole).toString();
        bool ok = false;
        const QString name = QInputDialog::getText(this, tr("Rename checkpoint"), tr("Name:"),
                                                   QLineEdit::Normal, current, &ok);
        if (ok) emit renameRequested(id, name);
    });
    resize(720, 360);
}

qint64 CheckpointsDialog::selectedId() const {
    const QModelIndex i = m_table->currentIndex();
    return i.isValid() ? i.data(CheckpointListModel::IdRole).toLongLong() : 0;
}

AuditPanel::AuditPanel(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("auditPanel"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    auto* row = new QHBoxLayout;
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("auditFilter"));
    m_filter->setPlaceholderText(tr("Filter the audit trail (kind, actor, details)"));
    m_filter->setClearButtonEnabled(true);
    auto* refresh = new QPushButton(tr("Refresh"), this);
    auto* verify = new QPushButton(tr("Verify"), this);
    verify->setObjectName(QStringLiteral("auditVerifyButton"));
    verify->setToolTip(tr("Check the hash chain of every record"));
    m_verdict = new QLabel(this);
    m_verdict->setObjectName(QStringLiteral("auditVerdict"));
    row->addWidget(m_filter, 1);
    row->addWidget(refresh);
    row->addWidget(verify);
    row->addWidget(m_verdict);
    layout->addLayout(row);
    m_model = new AuditRecordModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setFilterKeyColumn(-1);  // any column
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    auto* table = new QTableView(this);
    table->setObjectName(QStringLiteral("activityView"));
    table->setModel(m_proxy);
    table->horizontalHeader()->setStretchLastSection(true);
    table->verticalHeader()->hide();
    layout->addWidget(table, 1);
    connect(m_filter, &QLineEdit::textChanged, this, &AuditPanel::setFilter);
    connect(refresh, &QPushButton::clicked, this, &AuditPanel::refreshRequested);
    connect(verify, &QPushButton::clicked, this, &AuditPanel::verifyRequested);
}

void AuditPanel::setFilter(const QString& text) {
    if (m_filter->text() != text) m_filter->setText(text);
    m_proxy->setFilterFixedString(text);
}

void AuditPanel::showVerification(bool ok, qint64 records, const QString& reason) {
    m_verdict->setText(ok ? tr("✔ %1 records, chain intact").arg(records)
                          : tr("✘ Broken at %1").arg(reason));
}

QString AuditPanel::verificationText() const { return m_verdict->text(); }

}  // namespace atelier::ui
