#include "welcome_panel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include "atelier/engine/model_config.h"

namespace atelier::ui {

WelcomePanel::WelcomePanel(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("welcomePanel"));
    auto* layout = new QVBoxLayout(this);
    layout->addStretch(1);
    auto* text = new QLabel(this);
    text->setObjectName(QStringLiteral("welcomeText"));
    text->setWordWrap(true);
    text->setTextFormat(Qt::RichText);
    text->setOpenExternalLinks(false);
    text->setText(tr(
        "<h2>Welcome to Atelier</h2>"
        "<p>Atelier runs DeepSeek V4 models on this machine and lets a team of agents read your "
        "files, PDFs and git repositories. Nothing leaves the computer.</p>"
        "<p><b>Model files Atelier runs:</b></p><ul>"
        "<li>a <b>Hugging Face folder</b> as DeepSeek releases DeepSeek V4 (config.json, "
        "tokenizer.json and the *.safetensors shards, FP8/FP4 or BF16), downloaded from the "
        "deepseek-ai organisation on huggingface.co;</li>"
        "<li>a <b>GGUF file</b> in llama.cpp's <code>deepseek4</code> layout.</li></ul>"
        "<p>Open one with <i>File ▸ Open Model…</i> (Ctrl+O). The window shows how much memory it "
        "needs before loading it.</p>"
        "<p>No model yet? Create a <b>demo model</b>: a small DeepSeek V4–architecture model with "
        "<b>random weights</b>. It writes gibberish, but every feature — streaming, stop, "
        "context, checkpoints, sessions — works with it at once.</p>"));
    layout->addWidget(text);
    auto* row = new QHBoxLayout;
    m_open = new QPushButton(tr("Open Model…"), this);
    m_open->setObjectName(QStringLiteral("welcomeOpenButton"));
    row->addWidget(m_open);
    row->addSpacing(24);
    m_preset = new QComboBox(this);
    m_preset->setObjectName(QStringLiteral("demoPreset"));
    // The list shows each preset's whole label; the closed box stays narrow (1024×700 screens).
    m_preset->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_preset->setMinimumContentsLength(18);
    for (const auto& name : engine::presetNames()) {
        const QString preset = QString::fromStdString(name);
        m_preset->addItem(demoPresetLabel(preset), preset);
    }
    row->addWidget(m_preset);
    m_create = new QPushButton(tr("Create demo model (random weights)"), this);
    m_create->setObjectName(QStringLiteral("createDemoButton"));
    row->addWidget(m_create);
    row->addStretch(1);
    layout->addLayout(row);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("welcomeStatus"));
    m_status->setWordWrap(true);
    layout->addWidget(m_status);
    layout->addStretch(2);
    setFocusProxy(m_create);  // the page's first step takes the keyboard
    connect(m_open, &QPushButton::clicked, this, &WelcomePanel::openModelClicked);
    connect(m_create, &QPushButton::clicked, this,
            [this] { emit createDemoClicked(m_preset->currentData().toString()); });
}

QString demoPresetLabel(const QString& preset) {
    // What `atelier-cli model create --preset` writes (docs/cli.md), at the window's BF16.
    if (preset == QLatin1String("tiny")) return WelcomePanel::tr("tiny (a few MB, instant)");
    if (preset == QLatin1String("small")) return WelcomePanel::tr("small (about 100M parameters)");
    if (preset == QLatin1String("bench")) return WelcomePanel::tr("bench (about 1B parameters, about 2 GB)");
    if (preset == QLatin1String("flash-slice"))
        return WelcomePanel::tr("flash-slice (V4-Flash widths, 4 blocks: about 28B parameters, over 50 GB)");
    return preset;
}

void WelcomePanel::setPreset(const QString& preset) {
    if (const int i = m_preset->findData(preset); i >= 0) m_preset->setCurrentIndex(i);
}

QString WelcomePanel::preset() const { return m_preset->currentData().toString(); }

void WelcomePanel::setStatus(const QString& text) { m_status->setText(text); }

void WelcomePanel::setBusy(bool busy) {
    m_create->setEnabled(!busy);
    m_open->setEnabled(!busy);
}

}  // namespace atelier::ui
