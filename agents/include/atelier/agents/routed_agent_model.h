#pragma once
// RoutedAgentModel: an AgentModel that sends each agent's turns (TurnRequest::agent, the spec's
// name) to that agent's own model, and every other agent's to the run's default. It is how a
// team's per-agent `backend:` keys (team.h BackendSpec) reach TeamRuntime, which still takes
// one AgentModel. routeTeamBackends() builds one for a team: a BackendAgentModel on the local
// model for `backend: local`, on a RemoteChatBackend for a server (under the user's host
// allowlist, never the team file's), and the default for agents that name none.
// Threads: generate() from any number of agent threads at once (the routes never change after
// construction); each routed model must be thread-safe, as every AgentModel is.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "atelier/agents/agent_model.h"
#include "atelier/agents/backend_agent_model.h"
#include "atelier/agents/chat_backend.h"
#include "atelier/agents/host_allowlist.h"
#include "atelier/agents/team.h"

namespace atelier::agents {

class RoutedAgentModel final : public AgentModel {
public:
    // `fallback` runs every agent without a route; null: such an agent's turn fails with an
    // error naming it.
    RoutedAgentModel(std::shared_ptr<AgentModel> fallback,
                     std::map<std::string, std::shared_ptr<AgentModel>> routes);

    Result<AgentTurn> generate(const TurnRequest& request) override;

    // The model `agent`'s turns go to (null: none).
    AgentModel* modelFor(const std::string& agent) const;

private:
    std::shared_ptr<AgentModel> m_fallback;
    std::map<std::string, std::shared_ptr<AgentModel>> m_routes;  // by agent name
};

struct TeamBackendOptions {
    // Agents without a `backend:` key (the run's `--model` or `--remote`); null: none, and
    // routeTeamBackends refuses a team that has such an agent.
    std::shared_ptr<AgentModel> defaultModel;
    // The local model, for `backend: local`; null: none is loaded, and such a team is refused.
    std::shared_ptr<ChatBackend> local;
    // The hosts the user allowed (`--allow-host`, the window's remote settings). Every server a
    // team file names is checked against it here, and again by its RemoteChatBackend on every
    // turn.
    HostAllowlist allowedHosts;
    BackendAgentModelOptions turnOptions;  // every routed agent's turns
    // Reads the environment variable an agent names with `api_key_env`; null: std::getenv.
    std::function<std::optional<std::string>(const std::string& name)> environment;
};

// The routed model of `team`: one BackendAgentModel per agent that names a backend (agents that
// name the same server with the same model and key share it). Errors: an agent's server host is
// not allowed (Denied, naming the agent and the host), an agent asks for the local model
// and none is loaded or names no backend and there is no default (Usage), an `api_key_env`
// variable is not set (BadInput, naming the agent and the variable).
Result<std::shared_ptr<RoutedAgentModel>> routeTeamBackends(const Team& team,
                                                            const TeamBackendOptions& options);

}  // namespace atelier::agents
