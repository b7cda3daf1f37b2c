#pragma once
// MessageArea: errors and warnings of the conversation, above the message box — each with its
// whole text (selectable, with a Copy button), the message it is about, and a close button.
// A note has a `kind`: a new note of the same kind replaces the old one (a second failure is
// not stacked on the first), and clearKind() drops a kind once it no longer applies (a
// successful answer clears the failure before it). Hidden while empty. GUI thread only.

#include <QList>
#include <QString>
#include <QWidget>

class QVBoxLayout;

namespace atelier::ui {

class MessageArea : public QWidget {
    Q_OBJECT
public:
    enum class Severity { Error, Warning };

    explicit MessageArea(QWidget* parent = nullptr);

    // Shows `text` (about `about`, e.g. the user's message it belongs to; "" none), replacing
    // any note of the same kind. Returns the note's id.
    int post(Severity severity, const QString& kind, const QString& text, const QString& about = {});
    void dismiss(int id);
    void clearKind(const QString& kind);
    void clear();

    int count() const { return int(m_notes.size()); }
    // The notes' full texts, oldest first.
    QStringList texts() const;
    QStringList kinds() const;

signals:
    void changed();

private:
    struct Note {
        int id;
        QString kind;
        QString text;
        QWidget* row;
    };
    void removeAt(int index);

    QVBoxLayout* m_layout;
    QList<Note> m_notes;
    int m_nextId = 1;
};

}  // namespace atelier::ui
