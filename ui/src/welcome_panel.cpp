#include "welcome_panel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

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
    m_preset->addItem(tr("tiny (a few MB, instant)"), QStringLiteral("tiny"));
    m_preset->addItem(tr("small (about 100M parameters)"), QStringLiteral("small"));
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
    connect(m_open, &QPushButton::clicked, this, &WelcomePanel::openModelClicked);
    connect(m_create, &QPushButton::clicked, this,
            [this] { emit createDemoClicked(m_preset->currentData().toString()); });
}

void WelcomePanel::setStatus(const QString& text) { m_status->setText(text); }

void WelcomePanel::setBusy(bool busy) {
    m_create->setEnabled(!busy);
    m_open->setEnabled(!busy);
}

}  // namespace atelier::ui
