#include "atelier/ui/context_panel.h"

#include <QDragEnterEvent>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QListView>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>
#include <utility>

#include "atelier/ui/attachment_model.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/engine/tokenizer.h"

namespace atelier::ui {

ContextPanel::ContextPanel(EngineBridge* bridge, QWidget* parent) : QWidget(parent), m_bridge(bridge) {
    setObjectName(QStringLiteral("contextPanel"));
    setAcceptDrops(true);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("Attached documents"), this));
    m_model = new AttachmentModel(this);
    m_list = new QListView(this);
    m_list->setObjectName(QStringLiteral("contextDocuments"));
    m_list->setModel(m_model);
    m_list->setToolTip(tr("Drag files, folders, PDFs and repositories here"));
    layout->addWidget(m_list, 1);
    auto* buttons = new QHBoxLayout;
    auto* files = new QPushButton(tr("Attach files…"), this);
    files->setObjectName(QStringLiteral("attachFilesButton"));
    auto* folder = new QPushButton(tr("Folder…"), this);
    auto* remove = new QPushButton(tr("Remove"), this);
    buttons->addWidget(files);
    buttons->addWidget(folder);
    buttons->addWidget(remove);
    layout->addLayout(buttons);
    connect(files, &QPushButton::clicked, this, &ContextPanel::attachFiles);
    connect(folder, &QPushButton::clicked, this, &ContextPanel::attachFolder);
    connect(remove, &QPushButton::clicked, this, [this] {
        m_model->remove(m_list->currentIndex().row());
        emit contextTextChanged(m_model->text());
        updateGauge();
    });

    m_gauge = new QProgressBar(this);
    m_gauge->setObjectName(QStringLiteral("contextGauge"));
    m_gauge->setRange(0, 1000);
    layout->addWidget(m_gauge);
    auto* prefillRow = new QHBoxLayout;
    m_prefill = new QProgressBar(this);
    m_prefill->setObjectName(QStringLiteral("prefillProgress"));
    m_prefill->setFormat(tr("Prefill %v / %m"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("prefillCancel"));
    prefillRow->addWidget(m_prefill, 1);
    prefillRow->addWidget(m_cancel);
    layout->addLayout(prefillRow);
    m_eta = new QLabel(this);
    m_eta->setObjectName(QStringLiteral("prefillEta"));
    layout->addWidget(m_eta);
    m_prefill->hide();
    m_cancel->hide();
    m_eta->hide();
    connect(m_cancel, &QPushButton::clicked, this, &ContextPanel::cancelRequested);
    m_checkpoint = new QLabel(tr("Runs from: no checkpoint yet"), this);
    m_checkpoint->setObjectName(QStringLiteral("checkpointLabel"));
    m_checkpoint->setWordWrap(true);
    layout->addWidget(m_checkpoint);
    m_avoided = new QLabel(this);
    m_avoided->setObjectName(QStringLiteral("prefillAvoided"));
    layout->addWidget(m_avoided);

    connect(bridge, &EngineBridge::documentRead, this,
            [this](const QString& path, const QString& text, qint64 tokens, int n, bool cut) {
                m_model->setRead(path, text, tokens, n, cut);
                emit contextTextChanged(m_model->text());
                updateGauge();
            });
    connect(bridge, &EngineBridge::tokensCounted, this, [this](const QString& key, qint64 count) {
        if (key != m_countKey) return;  // an older conversation's count
        m_countKey.clear();
        setConversationTokens(std::max<qint64>(0, count));
    });
    connect(bridge, &EngineBridge::documentFailed, this, [this](const QString& path, const QString& why) {
        m_model->setFailed(path, why);
    });
    updateGauge();
}

void ContextPanel::addPath(const QString& path) {
    if (m_model->add(path)) m_bridge->readDocument(path);
}

void ContextPanel::removeAllAttachments() {
    while (m_model->rowCount() > 0) m_model->remove(0);
    emit contextTextChanged(m_model->text());
    updateGauge();
}

void ContextPanel::attachFiles() {
    for (const QString& f : QFileDialog::getOpenFileNames(this, tr("Attach files")))
        addPath(f);
}

void ContextPanel::attachFolder() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Attach a folder or repository"));
    if (!dir.isEmpty()) addPath(dir);
}

void ContextPanel::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void ContextPanel::dropEvent(QDropEvent* event) {
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile()) addPath(url.toLocalFile());
    event->acceptProposedAction();
}

void ContextPanel::setContextLimit(qint64 tokens) {
    m_limit = tokens;
    updateGauge();
}

void ContextPanel::setConversationTokens(qint64 tokens) {
    m_conversation = tokens;
    updateGauge();
}

qint64 ContextPanel::usedTokens() const { return m_conversation + m_model->totalTokens(); }

void ContextPanel::updateGauge() {
    const qint64 used = usedTokens();
    if (m_limit <= 0) {
        m_gauge->setValue(0);
        m_gauge->setFormat(tr("Context: %1 tokens (no model)").arg(used));
        return;
    }
    m_gauge->setValue(int(std::min<qint64>(1000, used * 1000 / m_limit)));
    m_gauge->setFormat(tr("Context: %1 of %2 tokens (%3%)")
                           .arg(used).arg(m_limit).arg(double(used) * 100.0 / double(m_limit), 0, 'f', 1));
}

void ContextPanel::onPrefill(qint64 done, qint64 total) {
    m_prefillDone = done;
    m_prefillTotal = total;
    if (m_prefillStart < 0) {
        m_prefillStart = done;
        m_prefillClock.start();
    }
    m_prefill->setRange(0, int(total));
    m_prefill->setValue(int(done));
    m_prefill->show();
    m_cancel->show();
    const double secs = double(m_prefillClock.elapsed()) / 1000.0;
    const qint64 run = done - m_prefillStart;
    if (run > 0 && secs > 0.05) {
        const double eta = double(total - done) * secs / double(run);
        m_eta->setText(tr("About %1 s left (%2 tokens/s)").arg(eta, 0, 'f', 1).arg(double(run) / secs, 0, 'f', 0));
        m_eta->show();
    }
}

void ContextPanel::onBusy(bool busy) {
    if (busy) return;
    m_prefillStart = -1;
    m_prefill->hide();
    m_cancel->hide();
    m_eta->hide();
}

void ContextPanel::onFinished(const GenerationStats& stats) {
    setConversationTokens(std::max<qint64>(0, stats.promptTokens + stats.completionTokens - m_model->totalTokens()));
    const qint64 done = std::exchange(m_prefillDone, -1), total = std::exchange(m_prefillTotal, -1);
    if (stats.finish == agents::TurnFinish::Cancelled && stats.completionTokens == 0) {
        // Stopped before its first token: the prompt was not (wholly) prefilled (#19).
        if (done >= 0 && total > 0)
            m_checkpoint->setText(tr("Runs from: prefill cancelled after %1 of %2 tokens").arg(done).arg(total));
        else
            m_checkpoint->setText(tr("Runs from: prefill of %1 tokens cancelled").arg(stats.promptTokens));
    } else if (stats.cachedTokens > 0)
        m_checkpoint->setText(tr("Runs from: memory prefix cache, %1 of %2 prompt tokens")
                                  .arg(stats.cachedTokens).arg(stats.promptTokens));
    else
        m_checkpoint->setText(tr("Runs from: a full prefill of %1 tokens").arg(stats.promptTokens));
    m_avoided->setText(tr("Prefill avoided: %1 tokens").arg(stats.cachedTokens));
}

QString ContextPanel::prefillAvoidedText() const { return m_avoided->text(); }

QString ContextPanel::checkpointText() const { return m_checkpoint->text(); }

qint64 ContextPanel::estimateTokens(const QString& text) const {
    if (const auto tokenizer = m_bridge->loadedModel().tokenizer)
        return qint64(tokenizer->encodeContent(text.toStdString()).size());
    return (qint64(text.size()) + 2) / 3;
}

void ContextPanel::resetConversation(const QString& text) {
    m_prefillDone = m_prefillTotal = -1;
    m_checkpoint->setText(tr("Runs from: no checkpoint yet"));
    m_avoided->clear();
    onBusy(false);
    m_countKey.clear();
    setConversationTokens(0);
    if (text.isEmpty()) return;
    m_countKey = QStringLiteral("conversation:%1").arg(++m_counts);
    m_bridge->countTokens(m_countKey, text);
}

}  // namespace atelier::ui
