#include "atelier/ui/settings_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

#include "atelier/engine/compute_backends.h"

namespace atelier::ui {
namespace {

void selectData(QComboBox* box, const QString& value) {
    const int i = box->findData(value);
    if (i >= 0) box->setCurrentIndex(i);
}

}  // namespace

AppSettings AppSettings::load() {
    QSettings s;
    AppSettings a;
    a.threads = s.value(QStringLiteral("engine/threads"), a.threads).toInt();
    a.backend = s.value(QStringLiteral("engine/backend"), a.backend).toString();
    a.kvBudgetGiB = s.value(QStringLiteral("kv/budgetGiB"), a.kvBudgetGiB).toDouble();
    a.kvStrategy = s.value(QStringLiteral("kv/strategy"), a.kvStrategy).toString();
    for (const QString& g : s.value(QStringLiteral("policy/grants")).toStringList()) {
        // Stored as "read:/path" or "write:/path".
        const qsizetype colon = g.indexOf(QLatin1Char(':'));
        if (colon > 0) a.grants.append({g.mid(colon + 1), g.left(colon) == QLatin1String("write")});
    }
    a.approvalMode = s.value(QStringLiteral("policy/approvalMode"), a.approvalMode).toString();
    a.reloadLastModel = s.value(QStringLiteral("models/reloadLast"), a.reloadLastModel).toBool();
    return a;
}

void AppSettings::save() const {
    QSettings s;
    s.setValue(QStringLiteral("engine/threads"), threads);
    s.setValue(QStringLiteral("engine/backend"), backend);
    s.setValue(QStringLiteral("kv/budgetGiB"), kvBudgetGiB);
    s.setValue(QStringLiteral("kv/strategy"), kvStrategy);
    QStringList grantList;
    for (const auto& g : grants)
        grantList << (g.write ? QStringLiteral("write:") : QStringLiteral("read:")) + g.path;
    s.setValue(QStringLiteral("policy/grants"), grantList);
    s.setValue(QStringLiteral("policy/approvalMode"), approvalMode);
    s.setValue(QStringLiteral("models/reloadLast"), reloadLastModel);
}

SettingsDialog::SettingsDialog(const AppSettings& a, QWidget* parent) : QDialog(parent) {
    setObjectName(QStringLiteral("settingsDialog"));
    setWindowTitle(tr("Settings"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    m_threads = new QSpinBox(this);
    m_threads->setObjectName(QStringLiteral("settingsThreads"));
    m_threads->setRange(0, 256);
    m_threads->setSpecialValueText(tr("one per core"));
    m_threads->setValue(a.threads);
    form->addRow(tr("Threads"), m_threads);
    m_backend = new QComboBox(this);
    m_backend->setObjectName(QStringLiteral("settingsBackend"));
    m_backend->addItem(tr("Automatic"), QStringLiteral("auto"));
    m_backend->addItem(tr("CPU"), QStringLiteral("cpu"));
    // Said up front, so that choosing it is not the first the user hears of it (a load refuses it).
    m_backend->addItem(engine::backendCompiledIn(engine::ComputeBackendKind::Cuda)
                           ? tr("CUDA") : tr("CUDA (not available in this build)"),
                       QStringLiteral("cuda"));
    selectData(m_backend, a.backend);
    form->addRow(tr("Backend"), m_backend);
    m_budget = new QDoubleSpinBox(this);
    m_budget->setObjectName(QStringLiteral("settingsKvBudget"));
    m_budget->setRange(0.1, 4096);
    m_budget->setSuffix(tr(" GiB"));
    m_budget->setValue(a.kvBudgetGiB);
    form->addRow(tr("KV checkpoint disk budget"), m_budget);
    m_strategy = new QComboBox(this);
    m_strategy->setObjectName(QStringLiteral("settingsKvStrategy"));
    m_strategy->addItem(tr("Full window state (fastest restore)"), QStringLiteral("full"));
    m_strategy->addItem(tr("Periodic window states"), QStringLiteral("periodic"));
    m_strategy->addItem(tr("No window state (smallest)"), QStringLiteral("none"));
    selectData(m_strategy, a.kvStrategy);
    form->addRow(tr("KV checkpoint strategy"), m_strategy);
    m_approval = new QComboBox(this);
    m_approval->setObjectName(QStringLiteral("settingsApproval"));
    m_approval->addItem(tr("Ask before writes"), QStringLiteral("ask-writes"));
    m_approval->addItem(tr("Ask before every tool call"), QStringLiteral("ask-all"));
    m_approval->addItem(tr("Never ask (within the grants)"), QStringLiteral("auto"));
    selectData(m_approval, a.approvalMode);
    form->addRow(tr("Tool approvals"), m_approval);
    m_reloadLast = new QCheckBox(tr("Load the last model again at start"), this);
    m_reloadLast->setObjectName(QStringLiteral("settingsReloadLast"));
    m_reloadLast->setChecked(a.reloadLastModel);
    form->addRow(tr("Models"), m_reloadLast);
    layout->addLayout(form);

    m_grants = new QListWidget(this);
    m_grants->setObjectName(QStringLiteral("settingsGrants"));
    for (const auto& g : a.grants) addGrant(g.path, g.write);
    layout->addWidget(new QLabel(tr("Folders tools may use (policy grants):"), this));
    layout->addWidget(m_grants, 1);
    auto* row = new QHBoxLayout;
    auto* read = new QPushButton(tr("Grant read…"), this);
    auto* write = new QPushButton(tr("Grant read and write…"), this);
    auto* remove = new QPushButton(tr("Remove"), this);
    row->addWidget(read);
    row->addWidget(write);
    row->addWidget(remove);
    layout->addLayout(row);
    connect(read, &QPushButton::clicked, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Grant read access"));
        if (!d.isEmpty()) addGrant(d, false);
    });
    connect(write, &QPushButton::clicked, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Grant read and write access"));
        if (!d.isEmpty()) addGrant(d, true);
    });
    connect(remove, &QPushButton::clicked, this, [this] { delete m_grants->currentItem(); });

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

void SettingsDialog::addGrant(const QString& path, bool write) {
    auto* item = new QListWidgetItem(QStringLiteral("%1  (%2)").arg(path, write ? tr("read and write") : tr("read")),
                                     m_grants);
    item->setData(Qt::UserRole, path);
    item->setData(Qt::UserRole + 1, write);
}

AppSettings SettingsDialog::settings() const {
    AppSettings a;
    a.threads = m_threads->value();
    a.backend = m_backend->currentData().toString();
    a.kvBudgetGiB = m_budget->value();
    a.kvStrategy = m_strategy->currentData().toString();
    a.approvalMode = m_approval->currentData().toString();
    a.reloadLastModel = m_reloadLast->isChecked();
    for (int i = 0; i < m_grants->count(); ++i)
        a.grants.append({m_grants->item(i)->data(Qt::UserRole).toString(),
                         m_grants->item(i)->data(Qt::UserRole + 1).toBool()});
    return a;
}

}  // namespace atelier::ui
