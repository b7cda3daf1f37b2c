#pragma once
// Table models for the data-folder records the window lists: the KV checkpoints (Checkpoints
// view) and the audit trail (Activity dock). Rows are loaded by the records worker off the GUI
// thread and handed over as values. GUI thread only.

#include <QAbstractTableModel>
#include <QList>
#include <QMetaType>
#include <QString>

namespace atelier::ui {

struct CheckpointRow {
    qint64 id = 0;
    QString name;        // empty: an automatic prefix checkpoint
    QString model;       // the model description
    QString strategy;    // "full", "periodic", "none"
    qint64 tokens = 0;
    qint64 bytes = 0;
    qint64 lastUsedMs = 0;
    bool damaged = false;
};

struct AuditRow {
    qint64 seq = 0;
    QString time;
    QString kind;
    QString actor;
    QString payload;  // compact JSON
};

class CheckpointListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Tokens, Size, LastUsed, Strategy, Model, ColumnCount };
    enum Role { IdRole = Qt::UserRole + 1 };
    using QAbstractTableModel::QAbstractTableModel;
    void setRows(const QList<CheckpointRow>& rows);
    const QList<CheckpointRow>& rows() const { return m_rows; }
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

private:
    QList<CheckpointRow> m_rows;
};

// A readable line for an audit record (the Activity panel's Details; the raw JSON stays in the
// tooltip): "Loaded tiny (/models/tiny)", "files_read path=notes.txt → ok", "Approved
// file_write for writer (by user)". Unknown kinds and payloads that are not objects show as
// compact JSON.
QString auditSummary(const QString& kind, const QString& payloadJson);
// "Model load", "Prompt", "Tool call", "File read", "Policy", "Approval" (the kind otherwise).
QString auditKindLabel(const QString& kind);

class AuditRecordModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Seq, Time, Kind, Actor, Payload, ColumnCount };
    using QAbstractTableModel::QAbstractTableModel;
    void setRows(const QList<AuditRow>& rows);
    const QList<AuditRow>& rows() const { return m_rows; }
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

private:
    QList<AuditRow> m_rows;
};

}  // namespace atelier::ui

Q_DECLARE_METATYPE(atelier::ui::CheckpointRow)
Q_DECLARE_METATYPE(atelier::ui::AuditRow)
