#pragma once
// TeamController: runs a team from the Team dock. start() reads the Settings (approval mode,
// grants) on the GUI thread, then a worker thread finds and loads the team (template name or
// file), checks it against the tool plugins, opens the session store and audit log of the data
// folder and runs TeamRuntime over the model given by the model provider (the loaded model's
// turn backend, local or remote, through a BackendAgentModel with the DSML constraint, or a
// test double); an agent that names its own backend in the team file runs on it, a server only
// when its host is on the provider's allowlist (the window's remote settings).
// Every TeamEvent comes back as a queued call into AgentTreeModel::applyEvent, and the tokens of
// the turns being generated stream into AgentTreeModel::appendStreamed (coalesced: at most one
// queued drain at a time, see turn_stream_buffer.h); "ask" decisions
// go through the ApprovalBroker to the approval dialog. stop() cancels the run.
//
// Settings apply on top of the team file: every agent's approval mode becomes the stricter of
// its own and the Settings' one, and the Settings' grants are added to the root agent (the
// user granted those folders; a worker still only gets what its own spec names).
//
// Threads: every public method on the GUI thread, and none of them waits for the run; signals
// arrive on the GUI thread. The destructor stops the run, denies its open questions and joins.

#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QString>
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <thread>

#include "atelier/agents/agent_model.h"
#include "atelier/agents/chat_backend.h"
#include "atelier/agents/host_allowlist.h"

namespace atelier::agents {
struct Team;
}

namespace atelier::ui {

class AgentTreeModel;
class ApprovalBroker;
class TurnStreamBuffer;
class EngineBridge;
struct AppSettings;

struct TeamRunRequest {
    QString team;       // a template name (resources/teams) or a team file
    QString workspace;  // the folder the team works in
    QString task;
};

// What the agents run on. `model` is shared with the worker thread for the run's duration; it
// runs every agent that names no backend in the team file. An agent that names one runs on it
// (agents::routeTeamBackends): `backend: local` on `local`, a server only when its host is in
// `allowedHosts` (the team is refused otherwise, before anything runs).
struct TeamModel {
    std::shared_ptr<agents::AgentModel> model;
    agents::ConstraintFactory constraint;  // empty: unconstrained
    std::shared_ptr<agents::ChatBackend> local;  // the local model's backend; null: none loaded
    agents::HostAllowlist allowedHosts;           // the user's allowlist (the remote settings')
};
using TeamModelProvider = std::function<std::optional<TeamModel>()>;  // GUI thread; nullopt: none

// The loaded model of `bridge` as a TeamModel (BackendAgentModel over its ChatBackend, local or
// remote, + the DSML constraint, which only a local backend applies, + the bridge's
// allowedHosts()), or nullopt when no model is loaded. GUI thread.
std::optional<TeamModel> engineTeamModel(const EngineBridge& bridge);

// Applies the Settings' approval mode and grants to `team` (see above).
void applyTeamSettings(agents::Team& team, const AppSettings& settings);

class TeamController : public QObject {
    Q_OBJECT
public:
    // `tree` is borrowed (GUI thread); approval dialogs open over `dialogParent`.
    TeamController(AgentTreeModel* tree, QWidget* dialogParent, QObject* parent = nullptr);
    ~TeamController() override;

    void setDataDir(const QString& dataDir) { m_dataDir = dataDir; }
    void setModelProvider(TeamModelProvider provider) { m_provider = std::move(provider); }
    // Limits for the next runs (0: the model's and the team's own): generated tokens per turn,
    // and a cap on every agent's token budget.
    void setLimits(qint64 maxTokensPerTurn, qint64 tokenBudgetCap) {
        m_maxTokensPerTurn = maxTokensPerTurn;
        m_tokenBudgetCap = tokenBudgetCap;
    }
    // For the next runs: every agent's first turn must be one tool call, its string values at
    // most `maxArgChars` long (the CLI's --first-turn-tool-call, with one call per block), so a
    // run on a local model uses its tools (and asks for approvals) before answering. Off by
    // default; a remote model ignores it.
    void setFirstTurnToolCall(bool on, std::size_t maxArgChars = 1024) {
        m_firstTurnToolCall = on;
        m_firstCallArgChars = maxArgChars;
    }
    ApprovalBroker* broker() const { return m_broker; }
    bool isRunning() const { return m_worker.joinable(); }

    // Starts a run; false (with failed()) when one is running, no model is loaded or the
    // request is incomplete. Everything else that goes wrong arrives as failed() later.
    bool start(const TeamRunRequest& request);
    // Cancels the running run (it ends "cancelled"); waiting approval questions are denied.
    void stop();

signals:
    void runningChanged(bool running);
    void teamStarted(const QString& team);          // the tree shows the team, idle
    void eventApplied(const QJsonObject& event);    // after applyEvent
    void tokensStreamed(const QString& agent);      // after AgentTreeModel::appendStreamed
    void finished(const QString& status, const QString& report);
    void failed(const QString& message);

private:
    struct Job;
    void work(std::shared_ptr<Job> job);  // worker thread
    void post(std::function<void()> fn);  // to the GUI thread
    void ended();                         // GUI thread: joins the worker
    void drainStream(TurnStreamBuffer& stream);  // GUI thread: live tokens into the tree

    AgentTreeModel* m_tree;
    ApprovalBroker* m_broker;
    QString m_dataDir;
    TeamModelProvider m_provider;
    qint64 m_maxTokensPerTurn = 0;
    qint64 m_tokenBudgetCap = 0;
    bool m_firstTurnToolCall = false;
    std::size_t m_firstCallArgChars = 1024;
    std::stop_source m_stop;
    std::shared_ptr<std::atomic<bool>> m_done;  // set by the worker as its last act
    std::thread m_worker;
};

}  // namespace atelier::ui
