#pragma once
// AboutDialog: the version and the licences of what Atelier links. GUI thread only.

#include <QDialog>

namespace atelier::ui {

class AboutDialog : public QDialog {
    Q_OBJECT
public:
    explicit AboutDialog(QWidget* parent = nullptr);

    // The libraries Atelier links, with their licences, as shown in the dialog.
    static QString licenceText();
};

}  // namespace atelier::ui
