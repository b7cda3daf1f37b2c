#include "atelier/ui/message_area.h"

#include <QApplication>
#include <QClipboard>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace atelier::ui {

MessageArea::MessageArea(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("messageArea"));
    m_layout = new QVBoxLayout(this);
    m_layout->setContentsMargins(0, 0, 0, 0);
    m_layout->setSpacing(2);
    hide();
}

int MessageArea::post(Severity severity, const QString& kind, const QString& text, const QString& about) {
    clearKind(kind);
    const int id = m_nextId++;
    auto* row = new QFrame(this);
    row->setObjectName(QStringLiteral("messageNote"));
    row->setFrameShape(QFrame::StyledPanel);
    const bool error = severity == Severity::Error;
    // Soft tints that read in the light and the dark palette alike.
    row->setStyleSheet(error ? QStringLiteral("#messageNote { background: rgba(220, 50, 47, 40); }")
                             : QStringLiteral("#messageNote { background: rgba(230, 160, 20, 45); }"));
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(6, 4, 4, 4);
    auto* icon = new QLabel(row);
    const auto pixmap = error ? QStyle::SP_MessageBoxCritical : QStyle::SP_MessageBoxWarning;
    icon->setPixmap(style()->standardIcon(pixmap).pixmap(16, 16));
    layout->addWidget(icon, 0, Qt::AlignTop);
    auto* label = new QLabel(row);
    label->setObjectName(QStringLiteral("messageNoteText"));
    label->setTextFormat(Qt::PlainText);  // the error's text exactly, never markup
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    QString shown = text;
    if (!about.isEmpty()) {
        const QString quoted = about.simplified();
        shown = tr("About “%1”: %2").arg(quoted.size() > 60 ? quoted.left(59) + QChar(0x2026) : quoted, text);
    }
    label->setText(shown);
    label->setToolTip(text);
    layout->addWidget(label, 1);
    auto* copy = new QToolButton(row);
    copy->setObjectName(QStringLiteral("messageNoteCopy"));
    copy->setText(tr("Copy"));
    copy->setToolTip(tr("Copy the whole message"));
    connect(copy, &QToolButton::clicked, this, [text] { QApplication::clipboard()->setText(text); });
    layout->addWidget(copy, 0, Qt::AlignTop);
    auto* close = new QToolButton(row);
    close->setObjectName(QStringLiteral("messageNoteClose"));
    close->setText(QStringLiteral("×"));
    close->setToolTip(tr("Dismiss"));
    connect(close, &QToolButton::clicked, this, [this, id] { dismiss(id); });
    layout->addWidget(close, 0, Qt::AlignTop);
    m_layout->addWidget(row);
    m_notes.append({id, kind, text, row});
    setVisible(true);
    emit changed();
    return id;
}

void MessageArea::removeAt(int index) {
    QWidget* row = m_notes.takeAt(index).row;
    row->hide();
    row->deleteLater();
    setVisible(!m_notes.isEmpty());
    emit changed();
}

void MessageArea::dismiss(int id) {
    for (int i = 0; i < m_notes.size(); ++i)
        if (m_notes[i].id == id) return removeAt(i);
}

void MessageArea::clearKind(const QString& kind) {
    for (int i = int(m_notes.size()) - 1; i >= 0; --i)
        if (m_notes[i].kind == kind) removeAt(i);
}

void MessageArea::clear() {
    while (!m_notes.isEmpty()) removeAt(int(m_notes.size()) - 1);
}

QStringList MessageArea::texts() const {
    QStringList out;
    for (const Note& n : m_notes) out << n.text;
    return out;
}

QStringList MessageArea::kinds() const {
    QStringList out;
    for (const Note& n : m_notes) out << n.kind;
    return out;
}

}  // namespace atelier::ui
