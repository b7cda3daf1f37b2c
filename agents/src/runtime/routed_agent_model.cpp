// RoutedAgentModel and routeTeamBackends (see routed_agent_model.h).

#include "atelier/agents/routed_agent_model.h"

#include <cstdlib>
#include <tuple>

#include "atelier/agents/remote_chat_backend.h"

namespace atelier::agents {

RoutedAgentModel::RoutedAgentModel(std::shared_ptr<AgentModel> fallback,
                                   std::map<std::string, std::shared_ptr<AgentModel>> routes)
    : m_fallback(std::move(fallback)), m_routes(std::move(routes)) {}

AgentModel* RoutedAgentModel::modelFor(const std::string& agent) const {
    if (auto it = m_routes.find(agent); it != m_routes.end()) return it->second.get();
    return m_fallback.get();
}

Result<AgentTurn> RoutedAgentModel::generate(const TurnRequest& request) {
    AgentModel* model = modelFor(request.agent);
    if (!model)
        return unexpected(Error::usage("agent '" + request.agent +
                                       "' names no backend and the run has no default one"));
    return model->generate(request);
}

namespace {

std::optional<std::string> processEnvironment(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
}

}  // namespace

Result<std::shared_ptr<RoutedAgentModel>> routeTeamBackends(const Team& team,
                                                            const TeamBackendOptions& options) {
    const auto environment = options.environment ? options.environment : processEnvironment;
    std::map<std::string, std::shared_ptr<AgentModel>> routes;
    std::shared_ptr<AgentModel> local;
    // One backend per (url, model, key): agents on the same server share its connection setup.
    std::map<std::tuple<std::string, std::string, std::string>, std::shared_ptr<AgentModel>> remotes;
    for (const AgentSpec* a : team.agents()) {
        const std::string at = "agent '" + a->name + "'";
        switch (a->backend.kind) {
        case BackendKind::Default:
            if (!options.defaultModel)
                return unexpected(Error::usage(at + " names no backend and the run has no default one"));
            break;
        case BackendKind::Local:
            if (!options.local)
                return unexpected(Error::usage(at + " runs on the local model (backend: local), but none is loaded"));
            if (!local) local = std::make_shared<BackendAgentModel>(options.local, options.turnOptions);
            routes[a->name] = local;
            break;
        case BackendKind::Remote: {
            auto url = parseHttpUrl(a->backend.url);
            if (!url) return unexpected(Error::badInput(at + ": backend url: " + url.error().message));
            if (!options.allowedHosts.allows(url->host))
                return unexpected(ErrorCode::Denied,
                                  at + " runs on " + a->backend.url + ", but host '" + url->host +
                                      "' is not allowed (a team file never grants network access)");
            std::string key;
            if (!a->backend.apiKeyEnv.empty()) {
                auto value = environment(a->backend.apiKeyEnv);
                if (!value)
                    return unexpected(Error::badInput(at + ": the environment variable " + a->backend.apiKeyEnv +
                                                      " (its api_key_env) is not set"));
                key = *value;
            }
            auto& model = remotes[{a->backend.url, a->backend.model, key}];
            if (!model) {
                RemoteEndpoint endpoint;
                endpoint.url = a->backend.url;
                endpoint.model = a->backend.model;
                endpoint.apiKey = key;
                model = std::make_shared<BackendAgentModel>(
                    std::make_shared<RemoteChatBackend>(endpoint, options.allowedHosts), options.turnOptions);
            }
            routes[a->name] = model;
            break;
        }
        }
    }
    return std::make_shared<RoutedAgentModel>(options.defaultModel, std::move(routes));
}

}  // namespace atelier::agents
