#pragma once
// ContextPanel: the Context dock — documents attached by drag and drop or the Attach buttons,
// each with its token count (read and tokenized on the engine worker); the gauge of the context
// used out of the loaded model's limit; prefill progress with an ETA and Cancel; and where the
// last answer's prompt came from ("prefill avoided: N tokens" from the prefix cache).
// GUI thread only.

#include <QElapsedTimer>
#include <QWidget>

class QLabel;
class QListView;
class QProgressBar;
class QPushButton;

namespace atelier::ui {

class AttachmentModel;
class EngineBridge;
struct GenerationStats;

class ContextPanel : public QWidget {
    Q_OBJECT
public:
    explicit ContextPanel(EngineBridge* bridge, QWidget* parent = nullptr);

    AttachmentModel* attachments() const { return m_model; }
    void addPath(const QString& path);
    // Takes every attached document out of the context.
    void removeAllAttachments();
    void setContextLimit(qint64 tokens);
    qint64 contextLimit() const { return m_limit; }
    // Tokens of the conversation so far (the last prompt plus its answer).
    void setConversationTokens(qint64 tokens);
    qint64 usedTokens() const;
    // About how many tokens `text` adds to the prompt: the loaded local model's tokenizer
    // count, or a third of its characters (a remote model, or none loaded).
    qint64 estimateTokens(const QString& text) const;
    QString checkpointText() const;
    QProgressBar* gauge() const { return m_gauge; }
    QString prefillAvoidedText() const;

public slots:
    void onPrefill(qint64 done, qint64 total);
    void onFinished(const atelier::ui::GenerationStats& stats);
    void onBusy(bool busy);
    // Another conversation is shown: its tokens are counted anew from `text` (the turns'
    // text; "" for an empty one) and the last answer's "Runs from" and prefill lines go.
    void resetConversation(const QString& text = {});

signals:
    // The attachments' text changed (to put before the conversation).
    void contextTextChanged(const QString& text);
    void cancelRequested();

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void updateGauge();
    void attachFiles();
    void attachFolder();

    EngineBridge* m_bridge;
    AttachmentModel* m_model = nullptr;
    QListView* m_list = nullptr;
    QProgressBar* m_gauge = nullptr;
    QProgressBar* m_prefill = nullptr;
    QLabel* m_eta = nullptr;
    QPushButton* m_cancel = nullptr;
    QLabel* m_checkpoint = nullptr;
    QLabel* m_avoided = nullptr;
    QElapsedTimer m_prefillClock;
    qint64 m_prefillStart = -1;
    qint64 m_prefillDone = -1, m_prefillTotal = -1;  // the turn's last prefill progress (-1: none)
    qint64 m_limit = 0;
    qint64 m_conversation = 0;
    QString m_countKey;  // the pending conversation count's key; later answers win
    int m_counts = 0;
};

}  // namespace atelier::ui
