#include "atelier/ui/about_dialog.h"

#include <QDialogButtonBox>
#include <QIcon>
#include <QLabel>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "atelier/version.h"

namespace atelier::ui {

QString AboutDialog::licenceText() {
    return QStringLiteral(
        "<h3>Licences</h3>"
        "<p>Atelier is free software under the MIT licence.</p>"
        "<p>It links these libraries, each under its own licence:</p><ul>"
        "<li>Qt %1 — LGPL-3.0</li>"
        "<li>spdlog and fmt — MIT</li>"
        "<li>CLI11 — BSD-3-Clause</li>"
        "<li>nlohmann/json — MIT</li>"
        "<li>SQLite — public domain</li>"
        "<li>PCRE2 — BSD-3-Clause</li>"
        "<li>yaml-cpp — MIT</li>"
        "<li>libgit2 — GPL-2.0 with linking exception</li>"
        "<li>Poppler — GPL-2.0-or-later</li>"
        "<li>cpp-httplib — MIT</li>"
        "</ul>"
        "<p>Model weights are not part of Atelier; they carry their own licence "
        "(DeepSeek V4: MIT).</p>")
        .arg(QString::fromLatin1(qVersion()));
}

AboutDialog::AboutDialog(QWidget* parent) : QDialog(parent) {
    setObjectName(QStringLiteral("aboutDialog"));
    setWindowTitle(tr("About Atelier"));
    auto* layout = new QVBoxLayout(this);
    auto* header = new QLabel(this);
    header->setObjectName(QStringLiteral("aboutVersion"));
    header->setTextFormat(Qt::RichText);
    header->setText(tr("<h2>Atelier %1</h2><p>A local agent workstation for DeepSeek V4. "
                       "Your documents never leave this machine.</p>")
                        .arg(QString::fromLatin1(kVersion)));
    layout->addWidget(header);
    auto* licences = new QTextBrowser(this);
    licences->setObjectName(QStringLiteral("aboutLicences"));
    licences->setHtml(licenceText());
    licences->setOpenExternalLinks(false);
    layout->addWidget(licences);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(480, 420);
}

}  // namespace atelier::ui
