// Helpers shared by the chat backends (chat_backend.h).

#include "atelier/agents/chat_backend.h"

#include <nlohmann/json.hpp>

namespace atelier::agents {

std::vector<std::string> offeredToolNames(const std::vector<engine::ChatMessage>& messages) {
    std::vector<std::string> names;
    for (const auto& m : messages)
        for (const auto& schema : m.toolSchemas) {
            const auto fn = nlohmann::json::parse(schema, nullptr, false);
            if (fn.is_object() && fn.contains("name") && fn["name"].is_string())
                names.push_back(fn["name"].get<std::string>());
        }
    return names;
}

}  // namespace atelier::agents
