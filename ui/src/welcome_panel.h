#pragma once
// WelcomePanel: the first-start page shown while no model is loaded. It says which model files
// Atelier runs and where to get them, and offers to create a demo model (random weights,
// labelled as such) so that every feature can be tried at once. GUI thread only.

#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;

namespace atelier::ui {

class WelcomePanel : public QWidget {
    Q_OBJECT
public:
    explicit WelcomePanel(QWidget* parent = nullptr);
    // Shows what is happening (creating the demo, loading) or an error.
    void setStatus(const QString& text);
    void setBusy(bool busy);

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
