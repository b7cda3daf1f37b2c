#pragma once
// WelcomePanel: the first-start page shown while no model is loaded. It says which model files
// Atelier runs and where to get them, and offers to create a demo model (random weights,
// labelled as such) so that every feature can be tried at once. GUI thread only.

#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;

namespace atelier::ui {

// A demo preset's name with what it writes, for the welcome page and the File menu.
QString demoPresetLabel(const QString& preset);

class WelcomePanel : public QWidget {
    Q_OBJECT
public:
    explicit WelcomePanel(QWidget* parent = nullptr);
    // Shows what is happening (creating the demo, loading) or an error.
    void setStatus(const QString& text);
    void setBusy(bool busy);
    // The demo preset offered (one of engine::presetNames()).
    void setPreset(const QString& preset);
    QString preset() const;

signals:
    void openModelClicked();
    void createDemoClicked(const QString& preset);

private:
    QComboBox* m_preset = nullptr;
    QPushButton* m_create = nullptr;
    QPushButton* m_open = nullptr;
    QLabel* m_status = nullptr;
};

}  // namespace atelier::ui
