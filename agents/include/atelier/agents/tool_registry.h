#pragma once
// ToolRegistry: the tools an agent can call, from built-ins and plugin libraries. call()
// validates arguments against the tool's schema (JSON Schema, valijson), runs the tool, and
// bounds its result. Thread-safety: add/loadPlugins from one thread before use; call() and the
// getters are safe from several threads afterwards.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "atelier/agents/tool.h"

namespace atelier::agents {

// A plugin library exports two C functions and links nothing from the host:
//   extern "C" int atelier_plugin_abi_version();   // ATELIER_PLUGIN_ABI_VERSION() defines it
//   extern "C" int atelier_plugin_tools(atelier::agents::Tool** out, int capacity);
// The host reads the version first and refuses a plugin built for another ABI (or with no
// version function: one built before there was one) without calling anything else in it. The
// tools function writes up to `capacity` newly allocated tools to `out` (the host takes
// ownership) and returns how many tools it has in all.
//
// kPluginAbiVersion changes whenever anything a plugin's code sees changes layout or meaning:
// Tool, ToolContext, ToolResult, SourceRef, Capability, Policy decisions, the entry points.
// 1: the original interface. 2: ToolContext carries a deadline.
inline constexpr int kPluginAbiVersion = 2;
inline constexpr const char* kPluginAbiEntryPoint = "atelier_plugin_abi_version";
inline constexpr const char* kPluginEntryPoint = "atelier_plugin_tools";
using PluginAbiEntry = int (*)();
using PluginEntry = int (*)(Tool** out, int capacity);

#define ATELIER_PLUGIN_ABI_VERSION()                                                       \
    extern "C" __attribute__((visibility("default"))) int atelier_plugin_abi_version() {   \
        return ::atelier::agents::kPluginAbiVersion;                                       \
    }

class ToolRegistry {
public:
    ToolRegistry();
    ~ToolRegistry();
    ToolRegistry(const ToolRegistry&) = delete;
    ToolRegistry& operator=(const ToolRegistry&) = delete;

    // Adds a tool; a name already taken is an error.
    Result<void> add(std::unique_ptr<Tool> tool);

    // Loads every `libatelier_plugin_*.so` in `dir`. Returns the number loaded; a library that
    // fails to load, lacks an entry point, was built for another ABI version or throws from
    // its entry point is an error naming it (and nothing of it is added).
    Result<int> loadPlugins(const std::filesystem::path& dir);

    // Where plugins are looked for by default: beside the executable (../lib/atelier/plugins,
    // the build tree's lib/plugins) and ATELIER_PLUGIN_DIR.
    static std::vector<std::filesystem::path> defaultPluginDirs();

    const Tool* find(const std::string& name) const;
    std::vector<const Tool*> tools() const;  // sorted by name

    // Validates `args` (a JSON object) against the tool's schema, then runs it. Errors: an
    // unknown tool (BadInput), invalid arguments (BadInput, naming the field), a policy refusal
    // (Denied), the tool's own failure.
    Result<ToolResult> call(const std::string& name, const nlohmann::json& args,
                            const ToolContext& ctx) const;

    // Checks `args` against `schema`; the error lists what is wrong and where.
    static Result<void> validateArguments(const nlohmann::json& schema, const nlohmann::json& args);

private:
    struct Plugin;
    // Declared first so that it is destroyed last: tools from a plugin die before it unloads.
    std::vector<std::unique_ptr<Plugin>> m_plugins;
    std::vector<std::unique_ptr<Tool>> m_tools;
};

}  // namespace atelier::agents
