// The pieces of agent_model.h that every AgentModel shares: usage as JSON and tool schemas.

#include "atelier/agents/agent_model.h"

namespace atelier::agents {

nlohmann::json TurnUsage::toJson() const {
    return {{"prompt_tokens", promptTokens}, {"cached_tokens", cachedTokens},
            {"completion_tokens", completionTokens}};
}

Result<std::vector<std::string>> toolSchemaTexts(const std::vector<ToolSpec>& tools) {
    if (tools.empty()) return std::vector<std::string>{};
    // The chat format reads OpenAI-style tools and serialises each `function` exactly as the
    // official encoder prints it; going through it keeps one serialiser.
    nlohmann::json input = {{"messages", {{{"role", "system"}, {"content", ""}}}},
                            {"tools", nlohmann::json::array()}};
    for (const auto& t : tools)
        input["tools"].push_back({{"type", "function"},
                                  {"function", {{"name", t.name},
                                                {"description", t.description},
                                                {"parameters", t.parameters}}}});
    auto messages = engine::parseChatMessages(input.dump());
    if (!messages) return unexpected(messages.error());
    return messages->front().toolSchemas;
}

}  // namespace atelier::agents
