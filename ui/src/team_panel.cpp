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
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSplitter>
#include <QTextBrowser>
#include <QThreadPool>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

#include "atelier/agents/team.h"
#include "atelier/ui/agent_tree_model.h"
#include "atelier/ui/team_controller.h"

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
    row->addWidget(m_run);
    m_stop = new QPushButton(tr("Stop"), this);
    m_stop->setObjectName(QStringLiteral("teamStopButton"));
    m_stop->setEnabled(false);
    row->addWidget(m_stop);
    layout->addLayout(row);
    auto* wsRow = new QHBoxLayout;
    m_workspace = new QLineEdit(this);
    m_workspace->setObjectName(QStringLiteral("teamWorkspace"));
    m_workspace->setPlaceholderText(tr("Workspace folder"));
    wsRow->addWidget(m_workspace, 1);
    auto* browse = new QPushButton(tr("Folder…"), this);
    wsRow->addWidget(browse);
    layout->addLayout(wsRow);
    m_task = new QLineEdit(this);
    m_task->setObjectName(QStringLiteral("teamTask"));
    m_task->setPlaceholderText(tr("Task for the team"));
    layout->addWidget(m_task);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Workspace folder"), m_workspace->text());
        if (!dir.isEmpty()) m_workspace->setText(dir);
    });
    connect(m_workspace, &QLineEdit::textChanged, this, &TeamPanel::updateButtons);
    connect(m_task, &QLineEdit::textChanged, this, &TeamPanel::updateButtons);
    connect(m_task, &QLineEdit::returnPressed, this, &TeamPanel::runTeam);
    connect(m_run, &QPushButton::clicked, this, &TeamPanel::runTeam);
    m_status = new QLabel(tr("No team running"), this);
    m_status->setObjectName(QStringLiteral("teamStatus"));
    m_status->setWordWrap(true);  // a long team description must not widen the dock
    layout->addWidget(m_status);
    auto* split = new QSplitter(Qt::Vertical, this);
    m_model = new AgentTreeModel(this);
    m_tree = new QTreeView(split);
    m_tree->setObjectName(QStringLiteral("agentTree"));
    m_tree->setModel(m_model);
    // The name takes the room left; state, tokens and budget keep their text whole.
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_tree->header()->setSectionResizeMode(AgentTreeModel::Name, QHeaderView::Stretch);
    // At least four agent rows (and the header) stay visible beside the transcript.
    m_tree->setMinimumHeight(m_tree->header()->sizeHint().height() + 4 * (fontMetrics().height() + 6) + 4);
    m_transcript = new QTextBrowser(split);
    m_transcript->setObjectName(QStringLiteral("agentTranscript"));
    m_transcript->setPlaceholderText(tr("Select an agent to see its own transcript"));
    m_transcript->setMinimumHeight(fontMetrics().height() * 3);
    split->setChildrenCollapsible(false);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this, &TeamPanel::showTranscript);
    // Streaming changes the model for every few tokens: the transcript is rendered at most
    // every 66 ms (as ConversationView does), a selection change at once.
    m_renderThrottle = new QTimer(this);
    m_renderThrottle->setSingleShot(true);
    m_renderThrottle->setInterval(66);
    connect(m_renderThrottle, &QTimer::timeout, this, &TeamPanel::showTranscript);
    connect(m_model, &QAbstractItemModel::dataChanged, this, [this] {
        if (!m_renderThrottle->isActive()) m_renderThrottle->start();
    });
    connect(m_templates, &QComboBox::activated, this, [this] {
        QString choice = m_templates->currentData().toString();
        if (choice == QLatin1String("?file"))
            choice = QFileDialog::getOpenFileName(this, tr("Open a team file"), QDir::homePath(), tr("Team files (*.md)"));
        if (!choice.isEmpty()) loadTeam(choice);
        else showLoadedSource();  // a cancelled dialog (or "Choose a team…") keeps the team shown
    });
}

void TeamPanel::showLoadedSource() {
    int i = m_loadedSource.isEmpty() ? 0 : m_templates->findData(m_loadedSource);
    if (i < 0) {  // a team file: its own entry, named after its team, before "Team file…"
        i = m_templates->count() - 1;
        m_templates->insertItem(i, m_team.isEmpty() ? QFileInfo(m_loadedSource).fileName() : m_team, m_loadedSource);
        m_templates->setItemData(i, m_loadedSource, Qt::ToolTipRole);
    }
    m_templates->setCurrentIndex(i);
}

void TeamPanel::loadTeam(const QString& nameOrPath) {
    m_source = nameOrPath;
    m_status->setText(tr("Reading %1…").arg(nameOrPath));
    QPointer<TeamPanel> self(this);
    // Team files are read and checked on a pool thread; the tree is built back here.
    QThreadPool::globalInstance()->start([self, nameOrPath] {
        auto file = agents::findTeamFile(nameOrPath.toStdString());
        Result<agents::Team> team = file ? agents::loadTeam(*file, QDir::homePath().toStdString())
                                         : Result<agents::Team>(unexpected(file.error()));
        auto shared = std::make_shared<Result<agents::Team>>(std::move(team));
        QMetaObject::invokeMethod(qApp, [self, shared, nameOrPath] {
            if (!self) return;
            if (!*shared) {
                const QString why = QString::fromStdString(shared->error().message);
                self->m_status->setText(why);
                self->m_source = self->m_loadedSource;  // Run keeps the team still shown
                self->showLoadedSource();
                emit self->teamFailed(why);
                self->applyEvents(std::exchange(self->m_pendingEvents, {}));
                return;
            }
            const agents::Team& t = **shared;
            self->m_team = QString::fromStdString(t.name);
            self->m_loadedSource = nameOrPath;
            self->m_model->setTeam(t.root);
            self->showLoadedSource();
            self->m_tree->expandAll();
            self->m_tree->resizeColumnToContents(0);
            self->m_status->setText(tr("%1: %2").arg(self->m_team, QString::fromStdString(t.description)));
            self->applyEvents(std::exchange(self->m_pendingEvents, {}));
            self->updateButtons();
            emit self->teamLoaded(self->m_team);
        }, Qt::QueuedConnection);
    });
}

void TeamPanel::showRun(const QString& team, const QStringList& events) {
    if (m_controller && m_controller->isRunning()) {  // the tree belongs to the live run
        m_status->setText(tr("Stop the running team to replay a stored run"));
        return;
    }
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
    m_renderThrottle->stop();
    const QModelIndex i = m_tree->currentIndex();
    if (!i.isValid()) return;
    ++m_renders;
    m_transcript->setMarkdown(m_model->transcript(i.data(AgentTreeModel::AgentNameRole).toString()));
    m_transcript->moveCursor(QTextCursor::End);  // follow the text being generated
}

void TeamPanel::setController(TeamController* controller) {
    m_controller = controller;
    connect(m_stop, &QPushButton::clicked, controller, &TeamController::stop);
    connect(controller, &TeamController::runningChanged, this, &TeamPanel::updateButtons);
    connect(controller, &TeamController::teamStarted, this, [this](const QString& team) {
        m_team = team;
        m_tree->expandAll();
        m_tree->resizeColumnToContents(0);
        // Follow the manager's transcript live unless the user picked an agent.
        if (!m_tree->currentIndex().isValid() && m_model->rowCount() > 0) m_tree->setCurrentIndex(m_model->index(0, 0));
        m_status->setText(tr("%1: running").arg(team));
    });
    connect(controller, &TeamController::eventApplied, this, [this] { m_tree->expandAll(); });
    connect(controller, &TeamController::finished, this, &TeamPanel::onFinished);
    connect(controller, &TeamController::failed, this, [this](const QString& why) {
        m_status->setText(tr("Team run failed: %1").arg(why));
    });
    updateButtons();
}

void TeamPanel::setWorkspace(const QString& folder) { m_workspace->setText(folder); }
void TeamPanel::setTask(const QString& task) { m_task->setText(task); }
QString TeamPanel::statusText() const { return m_status->text(); }
QString TeamPanel::shownTranscript() const { return m_transcript->toPlainText(); }

bool TeamPanel::runTeam() {
    if (!m_controller || !m_run->isEnabled()) return false;
    const bool ok = m_controller->start({m_source, m_workspace->text(), m_task->text()});
    if (ok) m_status->setText(tr("Starting %1…").arg(m_source));
    return ok;
}

void TeamPanel::onFinished(const QString& status, const QString& report) {
    m_tree->expandAll();
    // The whole report is the root agent's transcript; the status line only starts it.
    QString start = report.simplified();
    if (start.size() > 120) start = start.left(120) + QChar(0x2026);
    m_status->setText(tr("%1: run %2 — %3").arg(m_team, status, start));
    if (!m_tree->currentIndex().isValid() && m_model->rowCount() > 0) m_tree->setCurrentIndex(m_model->index(0, 0));
}

void TeamPanel::updateButtons() {
    const bool running = m_controller && m_controller->isRunning();
    m_run->setEnabled(m_controller && !running && !m_source.isEmpty() && !m_workspace->text().isEmpty() &&
                      !m_task->text().trimmed().isEmpty());
    m_stop->setEnabled(running);
    m_templates->setEnabled(!running);
}

}  // namespace atelier::ui
