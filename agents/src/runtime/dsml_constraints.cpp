// Adapters from the agents' tool descriptions to engine::makeDsmlConstraint (dsml_constraints.h).

#include "atelier/agents/dsml_constraints.h"

#include <nlohmann/json.hpp>

#include "atelier/engine/dsml_constraint.h"
#include "atelier/engine/json_constraint.h"
#include "atelier/base/log.h"

namespace atelier::agents {
namespace {

std::shared_ptr<engine::TokenConstraint> build(const engine::Tokenizer& tokenizer,
                                               std::vector<engine::ToolSchemaSpec> specs,
                                               engine::DsmlConstraintOptions options) {
    if (specs.empty()) return nullptr;
    auto constraint = engine::makeDsmlConstraint(tokenizer, std::move(specs), options);
    if (!constraint) {
        logger("agents")->warn("tool calls run unconstrained: {}", constraint.error().message);
        return nullptr;
    }
    return std::move(*constraint);
}

}  // namespace

ConstraintFactory dsmlConstraintFactory(engine::ChatMode mode, bool requireCall,
                                        std::size_t maxValueChars, std::size_t maxCalls) {
    return [mode, requireCall, maxValueChars, maxCalls](const engine::Tokenizer& tokenizer,
                                                        const std::vector<ToolSpec>& tools) {
        std::vector<engine::ToolSchemaSpec> specs;
        specs.reserve(tools.size());
        for (const ToolSpec& t : tools) specs.push_back({t.name, t.parameters.dump()});
        engine::DsmlConstraintOptions options;
        options.mode = mode;
        // Tool arguments are paths, patterns, revisions and delegated tasks: a bound keeps a
        // wandering model from staying inside one value for thousands of tokens.
        options.maxStringChars = maxValueChars;
        options.maxCalls = maxCalls;
        if (requireCall) options.choice = engine::ToolChoice::Required;
        return build(tokenizer, std::move(specs), options);
    };
}

ChatConstraintFactory dsmlChatConstraintFactory() {
    return [](const ChatBackendRequest& request, const engine::Tokenizer& tokenizer)
               -> std::shared_ptr<engine::TokenConstraint> {
        if (request.responseSchema) {
            // response_format: the reply is JSON of the schema (tools are not called then).
            engine::JsonConstraintOptions options;
            options.mode = request.mode;
            options.schemaJson = *request.responseSchema;
            auto constraint = engine::makeJsonConstraint(tokenizer, options);
            if (!constraint) {
                logger("agents")->warn("response_format runs unconstrained: {}", constraint.error().message);
                return nullptr;
            }
            return std::move(*constraint);
        }
        if (request.toolChoice == ToolChoice::None || request.messages.empty()) return nullptr;
        std::vector<engine::ToolSchemaSpec> specs;
        for (const std::string& schema : request.messages.front().toolSchemas) {
            // Each schema is one function object: {"name", "description", "parameters"}.
            const auto fn = nlohmann::json::parse(schema, nullptr, false);
            if (!fn.is_object() || !fn.contains("name") || !fn["name"].is_string()) continue;
            if (request.toolChoice == ToolChoice::Function &&
                fn["name"].get<std::string>() != request.toolChoiceName)
                continue;
            const nlohmann::json params = fn.value("parameters", nlohmann::json::object());
            specs.push_back({fn["name"].get<std::string>(), params.dump()});
        }
        engine::DsmlConstraintOptions options;
        options.mode = request.mode;
        if (!request.parallelToolCalls) options.maxCalls = 1;
        if (request.toolChoice == ToolChoice::Required || request.toolChoice == ToolChoice::Function)
            options.choice = engine::ToolChoice::Required;
        return build(tokenizer, std::move(specs), options);
    };
}

}  // namespace atelier::agents
