#pragma once
// The views over RecordsWorker's data: CheckpointsDialog (list, delete, rename the KV
// checkpoints) and AuditPanel (the audit trail in the Activity dock: filter and Verify). They
// only emit requests; the MainWindow routes them to the worker and its answers back. GUI thread.

#include <QDialog>
#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace atelier::ui {

class AuditRecordModel;
class CheckpointListModel;

class CheckpointsDialog : public QDialog {
    Q_OBJECT
public:
    explicit CheckpointsDialog(QWidget* parent = nullptr);
    CheckpointListModel* model() const { return m_model; }
    QTableView* table() const { return m_table; }

signals:
    void refreshRequested();
    void deleteRequested(qint64 id);
    void renameRequested(qint64 id, const QString& name);
    // "Save current context…": the window asks for a name and saves the chat's context.
    void saveCurrentRequested();

private:
    qint64 selectedId() const;
    CheckpointListModel* m_model = nullptr;
    QTableView* m_table = nullptr;
};

class AuditPanel : public QWidget {
    Q_OBJECT
public:
    explicit AuditPanel(QWidget* parent = nullptr);
    AuditRecordModel* model() const { return m_model; }
    QSortFilterProxyModel* filtered() const { return m_proxy; }
    void setFilter(const QString& text);
    void showVerification(bool ok, qint64 records, const QString& reason);
    QString verificationText() const;

signals:
    void refreshRequested();
    void verifyRequested();

private:
    AuditRecordModel* m_model = nullptr;
    QSortFilterProxyModel* m_proxy = nullptr;
    QLineEdit* m_filter = nullptr;
    QLabel* m_verdict = nullptr;
};

}  // namespace atelier::ui
