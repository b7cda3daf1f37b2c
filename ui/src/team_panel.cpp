#include "atelier/ui/team_panel.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QSplitter>
#include <QTextBrowser>
#include <QThreadPool>
#include <QTreeView>
#include <QVBoxLayout>

#include "atelier/agents/team.h"
#include "atelier/ui/agent_tree_model.h"

namespace atelier::ui {

TeamPanel::TeamPanel(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("teamPanel"));
    auto* layout = new QVBoxLayout(this);
    auto* row = new QHBoxLayout;
    m_templates = new QComboBox(this);
    m_templates->setObjectName(QStringLiteral("teamTemplates"));
    m_templates->addItem(tr("Choose a team…"), QString());
    for (const char* name : {"document-analyst", "review-team", "repo-historian"})
        m_templates->addItem(QString::fromLatin1(name), QString::fromLatin1(name));
    m_templates->addItem(tr("Team file…"), QStringLiteral("?file"));
    row->addWidget(m_templates, 1);
    m_run = new QPushButton(tr("Run"), this);
    m_run->setObjectName(QStringLiteral("teamRunButton"));
    m_run->setEnabled(false);
    m_run->setToolTip(tr("Running a team from the window arrives with the team runtime; use "
                         "atelier-cli team run meanwhile. Stored runs replay here."));
    row->addWidget(m_run);
    layout->addLayout(row);
    m_status = new QLabel(tr("No team running"), this);
    m_status->setObjectName(QStringLiteral("teamStatus"));
    m_status->setWordWrap(true);  // a long team description must not widen the dock
    layout->addWidget(m_status);
    auto* split = new QSplitter(Qt::Vertical, this);
    m_model = new AgentTreeModel(this);
    m_tree = new QTreeView(split);
    m_tree->setObjectName(QStringLiteral("agentTree"));
    m_tree->setModel(m_model);
    m_tree->header()->setStretchLastSection(false);
    m_transcript = new QTextBrowser(split);
    m_transcript->setObjectName(QStringLiteral("agentTranscript"));
    m_transcript->setPlaceholderText(tr("Select an agent to see its own transcript"));
    layout->addWidget(split, 1);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this, &TeamPanel::showTranscript);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &TeamPanel::showTranscript);
    connect(m_templates, &QComboBox::activated, this, [this] {
        QString choice = m_templates->currentData().toString();
        if (choice == QLatin1String("?file"))
            choice = QFileDialog::getOpenFileName(this, tr("Open a team file"), QDir::homePath(), tr("Team files (*.md)"));
        if (!choice.isEmpty()) loadTeam(choice);
    });
}

void TeamPanel::loadTeam(const QString& nameOrPath) {
    m_status->setText(tr("Reading %1…").arg(nameOrPath));
    QPointer<TeamPanel> self(this);
    // Team files are read and checked on a pool thread; the tree is built back here.
    QThreadPool::globalInstance()->start([self, nameOrPath] {
        auto file = agents::findTeamFile(nameOrPath.toStdString());
        Result<agents::Team> team = file ? agents::loadTeam(*file, QDir::homePath().toStdString())
                                         : Result<agents::Team>(unexpected(file.error()));
        auto shared = std::make_shared<Result<agents::Team>>(std::move(team));
        QMetaObject::invokeMethod(qApp, [self, shared] {
            if (!self) return;
            if (!*shared) {
                const QString why = QString::fromStdString(shared->error().message);
                self->m_status->setText(why);
                emit self->teamFailed(why);
                self->applyEvents(std::exchange(self->m_pendingEvents, {}));
                return;
            }
            const agents::Team& t = **shared;
            self->m_team = QString::fromStdString(t.name);
            self->m_model->setTeam(t.root);
            if (const int i = self->m_templates->findData(self->m_team); i >= 0) self->m_templates->setCurrentIndex(i);
            self->m_tree->expandAll();
            self->m_tree->resizeColumnToContents(0);
            self->m_status->setText(tr("%1: %2").arg(self->m_team, QString::fromStdString(t.description)));
            self->applyEvents(std::exchange(self->m_pendingEvents, {}));
            emit self->teamLoaded(self->m_team);
        }, Qt::QueuedConnection);
    });
}

void TeamPanel::showRun(const QString& team, const QStringList& events) {
    m_pendingEvents = events;
    loadTeam(team);
}

void TeamPanel::applyEvents(const QStringList& events) {
    for (const QString& line : events) {
        const QJsonObject e = QJsonDocument::fromJson(line.toUtf8()).object();
        if (!e.isEmpty()) m_model->applyEvent(e);
    }
    m_tree->expandAll();
    if (!m_model->runStatus().isEmpty())
        m_status->setText(tr("%1: run %2").arg(m_team, m_model->runStatus()));
}

void TeamPanel::showTranscript() {
    const QModelIndex i = m_tree->currentIndex();
    if (!i.isValid()) return;
    m_transcript->setMarkdown(m_model->transcript(i.data(AgentTreeModel::AgentNameRole).toString()));
}

}  // namespace atelier::ui
