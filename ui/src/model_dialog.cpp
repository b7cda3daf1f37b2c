#include "atelier/ui/model_dialog.h"

#include <algorithm>

#include <QComboBox>
#include <QDialogButtonBox>
#include <QLineEdit>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QScreen>
#include <QSpinBox>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

#include "atelier/ui/settings_dialog.h"

namespace atelier::ui {

ModelDialog::ModelDialog(const ModelSummary& s, qint64 freeBytes, QWidget* parent)
    : QDialog(parent), m_summary(s), m_free(freeBytes) {
    setObjectName(QStringLiteral("modelDialog"));
    setWindowTitle(tr("Open model"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    m_form = form;
    auto* name = new QLabel(QStringLiteral("<b>%1</b>").arg(s.displayName().toHtmlEscaped()), this);
    name->setObjectName(QStringLiteral("modelName"));
    form->addRow(tr("Model"), name);
    if (s.demo) {
        auto* demo = new QLabel(tr("This is a demo model with random weights: it runs every "
                                   "feature but writes gibberish."), this);
        demo->setObjectName(QStringLiteral("demoWarning"));
        demo->setWordWrap(true);
        form->addRow(QString(), demo);
    }
    form->addRow(tr("Path"), new QLabel(s.path.toHtmlEscaped(), this));
    form->addRow(tr("Format"), new QLabel(s.format == QLatin1String("gguf") ? tr("GGUF (deepseek4)")
                                                                             : tr("Hugging Face folder"), this));
    auto* params = new QLabel(tr("%1 total, %2 active per token")
                                  .arg(humanCount(double(s.paramsTotal)), humanCount(double(s.paramsActive))), this);
    params->setObjectName(QStringLiteral("modelParams"));
    form->addRow(tr("Parameters"), params);
    form->addRow(tr("Layers"), new QLabel(QString::number(s.layers), this));
    form->addRow(tr("Experts"), new QLabel(tr("%1 routed, %2 active").arg(s.experts).arg(s.expertsActive), this));
    form->addRow(tr("Vocabulary"), new QLabel(QString::number(s.vocabSize), this));
    form->addRow(tr("Maximum context"), new QLabel(tr("%1 tokens").arg(s.maxContext), this));

    m_context = new QSpinBox(this);
    m_context->setObjectName(QStringLiteral("contextTokens"));
    m_context->setRange(256, int(std::min<qint64>(s.maxContext, 1 << 30)));
    m_context->setSingleStep(4096);
    m_context->setValue(int(std::min<qint64>(s.maxContext, 32768)));
    m_context->setSuffix(tr(" tokens"));
    form->addRow(tr("Context to reserve"), m_context);
    m_threads = new QSpinBox(this);
    m_threads->setObjectName(QStringLiteral("threads"));
    m_threads->setRange(1, 256);
    m_threads->setValue(std::max(1, QThread::idealThreadCount()));
    form->addRow(tr("Threads"), m_threads);
    m_memory = new QLabel(this);
    m_memory->setObjectName(QStringLiteral("memoryNeeded"));
    m_memory->setWordWrap(true);
    form->addRow(tr("Memory needed"), m_memory);
    m_verdict = new QLabel(this);
    m_verdict->setObjectName(QStringLiteral("memoryVerdict"));
    form->addRow(QString(), m_verdict);
    m_plan = new QLabel(this);
    m_plan->setObjectName(QStringLiteral("modelPlan"));
    m_plan->setWordWrap(true);
    m_plan->setTextFormat(Qt::PlainText);
    m_plan->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(tr("On this machine"), m_plan);
    m_planTimer = new QTimer(this);
    m_planTimer->setSingleShot(true);
    m_planTimer->setInterval(300);
    connect(m_planTimer, &QTimer::timeout, this, &ModelDialog::askPlan);
    m_runOn = new QComboBox(this);
    m_runOn->setObjectName(QStringLiteral("runOn"));
    m_runOn->addItem(tr("This computer"));
    m_runOn->addItem(tr("Remote (OpenAI-compatible endpoint)"));
    form->addRow(tr("Run on"), m_runOn);
    layout->addLayout(form);
    layout->addWidget(buildRemoteGroup());

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    auto* load = buttons->addButton(tr("Load"), QDialogButtonBox::AcceptRole);
    load->setObjectName(QStringLiteral("loadButton"));
    load->setDefault(true);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    connect(m_context, &QSpinBox::valueChanged, this, &ModelDialog::update);
    connect(m_context, &QSpinBox::valueChanged, this, [this] {
        if (m_bridge) m_planTimer->start();
    });
    connect(m_runOn, &QComboBox::currentIndexChanged, this, &ModelDialog::update);
    setRemote(RemoteSettings::loadFor(s.path));
    update();
}

void ModelDialog::requestPlan(EngineBridge* bridge, const QString& dataDir) {
    m_bridge = bridge;
    m_dataDir = dataDir;
    if (m_summary.weightsMissing) {
        showPlanText(tr("No plan: the weights are missing"));
        return;
    }
    connect(bridge, &EngineBridge::planned, this,
            [this](const QString& path, qint64 context, const agents::ModelPlan& plan) {
                if (path == m_summary.path && context == m_context->value()) setPlan(plan);
            });
    connect(bridge, &EngineBridge::planFailed, this, [this](const QString& path, qint64 context, const QString& why) {
        if (path == m_summary.path && context == m_context->value()) showPlanText(tr("No plan: %1").arg(why));
    });
    askPlan();
}

void ModelDialog::askPlan() {
    if (!m_bridge || m_summary.weightsMissing) return;
    showPlanText(tr("Measuring this machine and predicting the speed…"));
    m_bridge->plan(m_summary.path, m_context->value(), m_dataDir);
}

void ModelDialog::setPlan(const agents::ModelPlan& p) {
    QStringList lines;
    const QString kv = humanBytes(double(p.kvBytes));
    if (p.streaming)
        lines << tr("Resident %1 + expert cache %2 + KV cache %3 = %4 of %5 free; the other experts stream "
                    "from disk (%6% cached, expected hit rate %7%)")
                     .arg(humanBytes(double(p.residentBytes)), humanBytes(double(p.expertCacheBytes)), kv,
                          humanBytes(double(p.memoryNeededBytes)), humanBytes(double(p.memoryAvailableBytes)))
                     .arg(100 * p.cachedFraction, 0, 'f', 0)
                     .arg(100 * p.hitRate, 0, 'f', 0);
    else
        lines << tr("Weights %1 stay mapped + KV cache %2 = %3 of %4 free")
                     .arg(humanBytes(double(p.weightsBytes)), kv, humanBytes(double(p.memoryNeededBytes)),
                          humanBytes(double(p.memoryAvailableBytes)));
    lines << tr("Predicted: decode %1 tok/s, prefill %2 tok/s")
                 .arg(p.decodeTokS, 0, 'f', 2)
                 .arg(p.prefillTokS, 0, 'f', 1);
    lines << (p.efficiencyMeasured
                  ? tr("from memory %1 GB/s and disk %2 GB/s, with the %3 kernels' speed measured by bench")
                  : tr("from memory %1 GB/s and disk %2 GB/s; no bench of a %3 model here yet, so these are upper bounds"))
                 .arg(p.memoryGbs, 0, 'f', 2)
                 .arg(p.diskReadGbs, 0, 'f', 2)
                 .arg(QString::fromStdString(p.weightType));
    if (p.paging)
        lines << tr("⚠ The weights exceed the memory free: mapped, they page in at every step and decode runs far "
                    "below this prediction (atelier-cli --memory-budget auto streams the experts instead)");
    showPlanText(lines.join(QLatin1Char('\n')));
}

void ModelDialog::showPlanText(const QString& text) {
    m_plan->setText(text);
    // The dialog grows to show the plan's wrapped lines whole (they arrive after it is shown, and
    // the form squeezed the labels instead); it never shrinks under the user.
    QLayout* form = layout();
    if (!form || !form->hasHeightForWidth()) return;
    form->activate();
    int need = form->totalHeightForWidth(width());
    if (const QScreen* where = screen()) need = std::min(need, where->availableGeometry().height());
    if (need > height()) resize(width(), need);
}

QString ModelDialog::planText() const { return m_plan->text(); }

QWidget* ModelDialog::buildRemoteGroup() {
    m_remoteGroup = new QWidget(this);
    m_remoteGroup->setObjectName(QStringLiteral("remoteGroup"));
    auto* form = new QFormLayout(m_remoteGroup);
    form->setContentsMargins(0, 0, 0, 0);
    m_url = new QLineEdit(m_remoteGroup);
    m_url->setObjectName(QStringLiteral("remoteUrl"));
    m_url->setPlaceholderText(QStringLiteral("http://gpu-server:8000/v1"));
    form->addRow(tr("Endpoint URL"), m_url);
    m_remoteModel = new QLineEdit(m_remoteGroup);
    m_remoteModel->setObjectName(QStringLiteral("remoteModel"));
    m_remoteModel->setPlaceholderText(tr("the server's default"));
    form->addRow(tr("Model name"), m_remoteModel);
    m_apiKey = new QLineEdit(m_remoteGroup);
    m_apiKey->setObjectName(QStringLiteral("remoteApiKey"));
    m_apiKey->setEchoMode(QLineEdit::Password);
    m_apiKey->setPlaceholderText(tr("optional; not saved"));
    form->addRow(tr("API key"), m_apiKey);
    m_hosts = new QLineEdit(m_remoteGroup);
    m_hosts->setObjectName(QStringLiteral("remoteAllowedHosts"));
    m_hosts->setPlaceholderText(tr("none: add the endpoint's host to allow connecting to it"));
    m_hosts->setToolTip(tr("Hosts Atelier may connect to (policy), separated by commas. "
                           "Nothing is contacted unless its host is listed here."));
    form->addRow(tr("Allowed hosts"), m_hosts);
    m_remoteMessage = new QLabel(m_remoteGroup);
    m_remoteMessage->setObjectName(QStringLiteral("remoteMessage"));
    m_remoteMessage->setWordWrap(true);
    m_remoteMessage->setStyleSheet(QStringLiteral("color: #c0392b"));
    form->addRow(QString(), m_remoteMessage);
    return m_remoteGroup;
}

bool ModelDialog::isRemote() const { return m_runOn->currentIndex() == 1; }

RemoteSettings ModelDialog::remoteSettings() const {
    RemoteSettings r;
    r.enabled = isRemote();
    r.url = m_url->text().trimmed();
    r.model = m_remoteModel->text().trimmed();
    r.apiKey = m_apiKey->text();
    r.allowedHosts = parseHostList(m_hosts->text());
    return r;
}

void ModelDialog::setRemote(const RemoteSettings& r) {
    m_url->setText(r.url);
    m_remoteModel->setText(r.model);
    m_apiKey->setText(r.apiKey);
    m_hosts->setText(r.allowedHosts.join(QStringLiteral(", ")));
    m_runOn->setCurrentIndex(r.enabled ? 1 : 0);
}

QString ModelDialog::remoteMessage() const { return m_remoteMessage->text(); }

void ModelDialog::accept() {
    const RemoteSettings remote = remoteSettings();
    if (remote.enabled) {
        if (auto ok = remote.check(); !ok) {
            m_remoteMessage->setText(QString::fromStdString(ok.error().message));
            return;  // stays open: nothing was contacted
        }
    }
    m_remoteMessage->clear();
    remote.saveFor(m_summary.path);
    QDialog::accept();
}

LoadSettings ModelDialog::settings() const {
    LoadSettings s;
    s.contextTokens = m_context->value();
    s.threads = m_threads->value();
    s.backend = AppSettings::load().backend;  // Tools → Settings → Backend
    s.remote = remoteSettings();
    return s;
}

void ModelDialog::setContextTokens(qint64 tokens) { m_context->setValue(int(tokens)); }

void ModelDialog::setThreads(int threads) { m_threads->setValue(threads); }

bool ModelDialog::fits() const {
    if (m_summary.weightsMissing) return false;  // nothing to load, whatever the memory
    return m_free <= 0 || m_summary.neededBytes(m_context->value()) <= m_free;
}

QString ModelDialog::verdictText() const { return m_verdict->text(); }

void ModelDialog::update() {
    m_remoteGroup->setVisible(isRemote());
    m_form->setRowVisible(m_plan, !isRemote());
    m_context->setEnabled(!isRemote());
    m_threads->setEnabled(!isRemote());
    const qint64 ctx = m_context->value();
    const double kv = m_summary.kvBytesPerToken * double(ctx);
    m_memory->setText(tr("%1 = weights %2 + KV cache %3 (%4 per token × %5) + state %6")
                          .arg(humanBytes(double(m_summary.neededBytes(ctx))),
                               humanBytes(double(m_summary.weightBytes)), humanBytes(kv),
                               humanBytes(m_summary.kvBytesPerToken), QString::number(ctx),
                               humanBytes(double(m_summary.stateBytesPerSequence))));
    if (m_summary.weightsMissing) {
        m_verdict->setText(tr("✘ Weights missing — about %1 of weights expected beside config.json")
                               .arg(humanBytes(double(m_summary.weightBytes))));
    } else if (m_free <= 0) {
        m_verdict->setText(tr("Free memory unknown"));
    } else if (fits()) {
        m_verdict->setText(tr("✔ Fits: %1 free").arg(humanBytes(double(m_free))));
    } else {
        m_verdict->setText(tr("✘ Does not fit: %1 free — choose a smaller context")
                               .arg(humanBytes(double(m_free))));
    }
}

}  // namespace atelier::ui
