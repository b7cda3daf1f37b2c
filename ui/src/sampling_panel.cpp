#include "atelier/ui/sampling_panel.h"

#include <limits>

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTimer>

namespace atelier::ui {
namespace {

QDoubleSpinBox* probabilityBox(QWidget* parent, const QString& name, double min, double max, double step) {
    auto* box = new QDoubleSpinBox(parent);
    box->setObjectName(name);
    box->setRange(min, max);
    box->setSingleStep(step);
    box->setDecimals(2);
    return box;
}

}  // namespace

SamplingPanel::SamplingPanel(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("samplingPanel"));
    auto* form = new QFormLayout(this);
    m_temperature = probabilityBox(this, QStringLiteral("temperatureBox"), 0.0, 2.0, 0.05);
    m_temperature->setToolTip(tr("0 always picks the likeliest token; higher values vary more"));
    form->addRow(tr("Temperature"), m_temperature);
    m_topP = probabilityBox(this, QStringLiteral("topPBox"), 0.01, 1.0, 0.05);
    m_topP->setToolTip(tr("Samples from the likeliest tokens that make up this probability (1: off)"));
    form->addRow(tr("Top-p"), m_topP);
    m_minP = probabilityBox(this, QStringLiteral("minPBox"), 0.0, 1.0, 0.01);
    m_minP->setToolTip(tr("Drops tokens less likely than this fraction of the likeliest one (0: off)"));
    form->addRow(tr("Min-p"), m_minP);
    m_maxTokens = new QSpinBox(this);
    m_maxTokens->setObjectName(QStringLiteral("maxTokensBox"));
    m_maxTokens->setRange(1, 1 << 20);
    m_maxTokens->setToolTip(tr("The longest reply, in tokens"));
    form->addRow(tr("Max tokens"), m_maxTokens);
    auto* seedRow = new QHBoxLayout;
    m_randomSeed = new QCheckBox(tr("Random"), this);
    m_randomSeed->setObjectName(QStringLiteral("randomSeedBox"));
    m_randomSeed->setToolTip(tr("A new seed for every reply, so Regenerate gives another answer"));
    m_seed = new QSpinBox(this);
    m_seed->setObjectName(QStringLiteral("seedBox"));
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setToolTip(tr("The same seed and settings give the same reply"));
    seedRow->addWidget(m_randomSeed);
    seedRow->addWidget(m_seed, 1);
    form->addRow(tr("Seed"), seedRow);
    m_system = new QPlainTextEdit(this);
    m_system->setObjectName(QStringLiteral("systemPromptEdit"));
    m_system->setPlaceholderText(tr("System prompt (none)"));
    m_system->setMaximumHeight(90);
    form->addRow(tr("System"), m_system);
    auto* reset = new QPushButton(tr("Defaults"), this);
    reset->setObjectName(QStringLiteral("samplingDefaults"));
    form->addRow(QString(), reset);
    m_systemDebounce = new QTimer(this);
    m_systemDebounce->setSingleShot(true);
    m_systemDebounce->setInterval(500);

    setSettings(SamplingSettings{});
    for (auto* box : {m_temperature, m_topP, m_minP})
        connect(box, &QDoubleSpinBox::valueChanged, this, &SamplingPanel::edited);
    connect(m_maxTokens, &QSpinBox::valueChanged, this, &SamplingPanel::edited);
    connect(m_seed, &QSpinBox::valueChanged, this, &SamplingPanel::edited);
    connect(m_randomSeed, &QCheckBox::toggled, this, [this](bool random) {
        m_seed->setEnabled(!random);
        edited();
    });
    connect(m_system, &QPlainTextEdit::textChanged, this, [this] {
        if (!m_showing) m_systemDebounce->start();
    });
    connect(m_systemDebounce, &QTimer::timeout, this, &SamplingPanel::edited);
    connect(reset, &QPushButton::clicked, this, [this] {
        setSettings(SamplingSettings{});
        edited();
    });
}

SamplingSettings SamplingPanel::settings() const {
    SamplingSettings s;
    s.temperature = m_temperature->value();
    s.topP = m_topP->value();
    s.minP = m_minP->value();
    s.maxTokens = m_maxTokens->value();
    s.randomSeed = m_randomSeed->isChecked();
    s.seed = quint64(m_seed->value());
    s.systemPrompt = m_system->toPlainText();
    return s;
}

void SamplingPanel::setSettings(const SamplingSettings& s) {
    m_showing = true;
    m_systemDebounce->stop();
    const QSignalBlocker b1(m_temperature), b2(m_topP), b3(m_minP), b4(m_maxTokens), b5(m_randomSeed),
        b6(m_seed);
    m_temperature->setValue(s.temperature);
    m_topP->setValue(s.topP);
    m_minP->setValue(s.minP);
    m_maxTokens->setValue(s.maxTokens);
    m_randomSeed->setChecked(s.randomSeed);
    m_seed->setValue(int(std::min<quint64>(s.seed, quint64(std::numeric_limits<int>::max()))));
    m_seed->setEnabled(!s.randomSeed);
    if (m_system->toPlainText() != s.systemPrompt) m_system->setPlainText(s.systemPrompt);
    m_showing = false;
}

void SamplingPanel::edited() {
    if (m_showing) return;
    m_systemDebounce->stop();
    emit settingsEdited(settings());
}

}  // namespace atelier::ui
