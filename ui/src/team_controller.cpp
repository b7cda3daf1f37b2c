#include "atelier/ui/team_controller.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <chrono>
#include <filesystem>

#include "atelier/agents/audit_log.h"
#include "atelier/agents/backend_agent_model.h"
#include "atelier/agents/data_paths.h"
#include "atelier/agents/dsml_constraints.h"
#include "atelier/agents/routed_agent_model.h"
#include "atelier/agents/team_runtime.h"
#include "atelier/base/log.h"
#include "atelier/ui/agent_tree_model.h"
#include "atelier/ui/approval_broker.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/settings_dialog.h"
#include "turn_stream_buffer.h"

namespace atelier::ui {

namespace fs = std::filesystem;

namespace {

agents::ApprovalMode approvalFromName(const QString& name) {
    if (name == QLatin1String("auto")) return agents::ApprovalMode::Auto;
    if (name == QLatin1String("ask-all")) return agents::ApprovalMode::AskForAll;
    return agents::ApprovalMode::AskForWrites;
}

// The token budgets the run holds the agents to (the team's, at most `cap` when one is set), as
// the tree shows them.
void capBudgets(agents::AgentSpec& spec, qint64 cap) {
    if (cap > 0 && (spec.budgets.tokens <= 0 || cap < spec.budgets.tokens)) spec.budgets.tokens = cap;
    for (auto& w : spec.workers) capBudgets(w, cap);
}

void tighten(agents::AgentSpec& spec, agents::ApprovalMode floor) {
    if (static_cast<int>(spec.approval) < static_cast<int>(floor)) spec.approval = floor;
    for (auto& w : spec.workers) tighten(w, floor);
}

QJsonObject toQt(const nlohmann::json& j) {
    const auto text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return QJsonDocument::fromJson(QByteArray::fromStdString(text)).object();
}

Result<void> loadPlugins(agents::ToolRegistry& registry) {
    for (const auto& dir : agents::ToolRegistry::defaultPluginDirs()) {
        auto n = registry.loadPlugins(dir);
        if (!n) return unexpected(n.error());
        if (*n > 0) return {};  // the first folder with plugins wins, as in the CLI
    }
    return unexpected(Error::notFound("no tool plugins found (set ATELIER_PLUGIN_DIR)"));
}

}  // namespace

std::optional<TeamModel> engineTeamModel(const EngineBridge& bridge) {
    std::shared_ptr<agents::ChatBackend> backend = bridge.loadedModel().backend;
    if (!backend) return std::nullopt;
    TeamModel m;
    if (!bridge.isRemote()) m.local = backend;
    m.allowedHosts = bridge.allowedHosts();
    // The model shares the backend, so a run keeps its model even when another one is loaded.
    m.model = std::make_shared<agents::BackendAgentModel>(std::move(backend), agents::BackendAgentModelOptions{});
    // A local backend makes it for its tokenizer; a remote one never asks for it.
    m.constraint = agents::dsmlConstraintFactory(engine::ChatMode::Chat);
    return m;
}

void applyTeamSettings(agents::Team& team, const AppSettings& settings) {
    tighten(team.root, approvalFromName(settings.approvalMode));
    for (const PathGrantSetting& g : settings.grants)
        team.root.grants.push_back({fs::path(g.path.toStdString()),
                                    g.write ? agents::Access::Write : agents::Access::Read});
}

struct TeamController::Job {
    TeamRunRequest request;
    AppSettings settings;
    fs::path dataDir;
    TeamModel model;
    qint64 maxTokensPerTurn = 0;
    qint64 tokenBudgetCap = 0;
    std::stop_token stop;
    bool firstTurnToolCall = false;
    std::size_t firstCallArgChars = 1024;
};

TeamController::TeamController(AgentTreeModel* tree, QWidget* dialogParent, QObject* parent)
    : QObject(parent), m_tree(tree), m_broker(new ApprovalBroker(dialogParent, this)) {
    connect(m_broker, &ApprovalBroker::questionShown, m_tree, &AgentTreeModel::markWaitingForApproval);
}

TeamController::~TeamController() {
    if (!m_worker.joinable()) return;
    m_stop.request_stop();
    // An agent thread may be inside ApprovalBroker::ask, its question still queued for this
    // thread: deliver and deny such questions until the worker has ended, then join.
    while (!m_done->load()) {
        QCoreApplication::sendPostedEvents(m_broker);
        m_broker->cancelAll();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    m_worker.join();
}

void TeamController::post(std::function<void()> fn) {
    QMetaObject::invokeMethod(this, std::move(fn), Qt::QueuedConnection);
}

bool TeamController::start(const TeamRunRequest& request) {
    auto refuse = [this](const QString& why) {
        emit failed(why);
        return false;
    };
    if (isRunning()) return refuse(tr("A team is already running"));
    if (request.team.isEmpty() || request.workspace.isEmpty() || request.task.trimmed().isEmpty())
        return refuse(tr("Choose a team and a workspace folder, and enter a task"));
    if (m_dataDir.isEmpty()) return refuse(tr("No data folder: team runs are stored there"));
    std::optional<TeamModel> model = m_provider ? m_provider() : std::nullopt;
    if (!model || !model->model) return refuse(tr("Load a model first"));

    auto job = std::make_shared<Job>();
    job->request = request;
    job->settings = AppSettings::load();
    job->dataDir = fs::path(m_dataDir.toStdString());
    job->model = std::move(*model);
    job->maxTokensPerTurn = m_maxTokensPerTurn;
    job->tokenBudgetCap = m_tokenBudgetCap;
    job->firstTurnToolCall = m_firstTurnToolCall;
    job->firstCallArgChars = m_firstCallArgChars;
    m_stop = std::stop_source();
    job->stop = m_stop.get_token();
    m_done = std::make_shared<std::atomic<bool>>(false);
    m_broker->startRun();
    m_worker = std::thread([this, job, done = m_done] {
        work(job);
        done->store(true);
        // Last: the GUI thread joins once this has run (or the destructor already waits).
        QMetaObject::invokeMethod(this, [this] { ended(); }, Qt::QueuedConnection);
    });
    emit runningChanged(true);
    return true;
}

void TeamController::stop() {
    if (!isRunning()) return;
    m_stop.request_stop();
    m_broker->cancelAll();
}

void TeamController::ended() {
    if (!m_worker.joinable() || !m_done->load()) return;
    m_worker.join();  // the worker has done its last act; this returns at once
    m_broker->cancelAll();
    emit runningChanged(false);
}

void TeamController::drainStream(TurnStreamBuffer& stream) {
    for (auto& [agent, piece] : stream.take()) {
        if (!piece.reasoning.isEmpty() || !piece.content.isEmpty() || piece.tokens > 0)
            m_tree->appendStreamed(agent, piece.reasoning, piece.content, piece.tokens);
        for (const QString& tool : piece.tools) m_tree->markCallingTool(agent, tool);
        emit tokensStreamed(agent);
    }
}

void TeamController::work(std::shared_ptr<Job> job) {
    auto fail = [this](const Error& e) {
        post([this, why = QString::fromStdString(e.message)] { emit failed(why); });
    };
    std::error_code ec;
    const fs::path workspace = fs::canonical(job->request.workspace.toStdString(), ec);
    if (ec || !fs::is_directory(workspace, ec))
        return fail(Error::badInput("workspace '" + job->request.workspace.toStdString() + "' is not a folder"));
    auto file = agents::findTeamFile(job->request.team.toStdString(), job->dataDir);
    if (!file) return fail(file.error());
    auto team = agents::loadTeam(*file, workspace);
    if (!team) return fail(team.error());
    applyTeamSettings(*team, job->settings);
    agents::ToolRegistry registry;
    if (auto r = loadPlugins(registry); !r) return fail(r.error());
    std::vector<std::string> known;
    for (const auto* t : registry.tools()) known.push_back(t->name());
    // A server named in the team file must be on the user's allowlist: the file grants no
    // network access.
    if (auto ok = agents::checkTeam(*team, known, job->model.allowedHosts); !ok)
        return fail(Error::badInput(file->string() + ": " + ok.error().message));
    agents::TeamBackendOptions routing;
    routing.defaultModel = job->model.model;
    routing.local = job->model.local;
    routing.allowedHosts = job->model.allowedHosts;
    auto routed = agents::routeTeamBackends(*team, routing);
    if (!routed) return fail(Error{routed.error().code, file->string() + ": " + routed.error().message});
    auto store = agents::SessionStore::open(agents::DataPaths{job->dataDir}.sessionsDb());
    if (!store) return fail(store.error());
    auto audit = agents::AuditLog::open(agents::DataPaths{job->dataDir}.auditDb());
    if (!audit) return fail(audit.error());

    // Queued before any event, so the tree holds the team when the first event arrives.
    auto shown = std::make_shared<agents::AgentSpec>(team->root);
    capBudgets(*shown, job->tokenBudgetCap);
    post([this, root = std::move(shown), name = QString::fromStdString(team->name)] {
        m_tree->setTeam(*root);
        emit teamStarted(name);
    });
    agents::TeamRuntimeOptions o;
    o.workspace = workspace;
    o.dataDir = job->dataDir;
    o.sharedPrefix = agents::teamSharedPrefix(*team, workspace);
    o.constraint = job->model.constraint;
    o.maxTokensPerTurn = job->maxTokensPerTurn;
    o.tokenBudgetCap = job->tokenBudgetCap;
    // Only a local model applies constraints (a remote one never asks the factory).
    if (job->firstTurnToolCall && job->model.constraint)
        o.firstTurnConstraint = agents::dsmlConstraintFactory(engine::ChatMode::Chat, true, job->firstCallArgChars, 1);
    o.stop = job->stop;
    o.approvedBy = "desktop";
    ApprovalBroker* broker = m_broker;  // outlives the worker (the destructor joins first)
    o.approve = [broker, stop = job->stop](const agents::ApprovalRequest& r) {
        if (stop.stop_requested()) return false;
        const QJsonObject args = toQt(r.args.is_object() ? r.args : nlohmann::json{{"value", r.args}});
        return broker->ask(QString::fromStdString(r.agent), QString::fromStdString(r.tool), args);
    };
    o.onEvent = [this](const agents::TeamEvent& e) {
        post([this, obj = toQt(e.json)] {
            m_tree->applyEvent(obj);
            emit eventApplied(obj);
        });
    };
    // Live tokens: coalesced per agent, drained on the GUI thread into the tree.
    auto stream = std::make_shared<TurnStreamBuffer>();
    o.onTurnEvent = [this, stream](const std::string& agent, const agents::TurnEvent& e) {
        if (stream->add(agent, e)) post([this, stream] { drainStream(*stream); });
    };
    agents::TeamRuntime runtime(*team, **routed, registry, *store, &*audit, o);
    auto outcome = runtime.run(job->request.task.toStdString());
    if (!outcome) return fail(outcome.error());
    post([this, status = QString::fromStdString(agents::runStatusName(outcome->status)),
          report = QString::fromStdString(outcome->report)] { emit finished(status, report); });
}

}  // namespace atelier::ui
