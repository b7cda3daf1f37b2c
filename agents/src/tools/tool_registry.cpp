#include "atelier/agents/tool_registry.h"

#include <algorithm>
#include <cstdlib>

#include <QCoreApplication>
#include <QLibrary>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "atelier/agents/tool_schema.h"
#include "atelier/base/log.h"
#include "atelier/base/utf8.h"

namespace atelier::agents {
namespace fs = std::filesystem;

struct ToolRegistry::Plugin {
    std::unique_ptr<QLibrary> library;
};

ToolRegistry::ToolRegistry() = default;
ToolRegistry::~ToolRegistry() = default;

Result<void> ToolRegistry::add(std::unique_ptr<Tool> tool) {
    if (!tool) return unexpected(Error::internal("null tool"));
    if (find(tool->name()))
        return unexpected(Error::badInput("a tool named '" + tool->name() + "' is already registered"));
    m_tools.push_back(std::move(tool));
    return {};
}

std::vector<fs::path> ToolRegistry::defaultPluginDirs() {
    std::vector<fs::path> dirs;
    if (const char* env = std::getenv("ATELIER_PLUGIN_DIR"); env && *env) dirs.emplace_back(env);
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path bin = exe.parent_path();
        dirs.push_back(bin / "../lib/atelier/plugins");  // installed
        dirs.push_back(bin / "../lib/plugins");          // build tree (build/bin -> build/lib)
    }
    return dirs;
}

Result<int> ToolRegistry::loadPlugins(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return 0;
    std::vector<fs::path> libs;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const auto name = entry.path().filename().string();
        if (name.rfind("libatelier_plugin_", 0) == 0 && entry.path().extension() == ".so")
            libs.push_back(entry.path());
    }
    std::sort(libs.begin(), libs.end());
    int loaded = 0;
    for (const auto& path : libs) {
        auto refuse = [&](const std::string& why) {
            return unexpected(Error::badInput("tool plugin " + path.string() + ": " + why));
        };
        auto lib = std::make_unique<QLibrary>(QString::fromStdString(path.string()));
        if (!lib->load())
            return unexpected(Error::badInput("cannot load tool plugin " + path.string() + ": " +
                                              lib->errorString().toStdString()));
        auto abi = reinterpret_cast<PluginAbiEntry>(lib->resolve(kPluginAbiEntryPoint));
        if (!abi)
            return refuse(std::string("has no ") + kPluginAbiEntryPoint +
                          " function: it was built for an older Atelier (plugin ABI 1); this one "
                          "needs ABI " + std::to_string(kPluginAbiVersion) + ", rebuild the plugin");
        int version = -1;
        try {
            version = abi();
        } catch (...) {
            return refuse(std::string(kPluginAbiEntryPoint) + " threw an exception");
        }
        if (version != kPluginAbiVersion)
            return refuse("built for plugin ABI " + std::to_string(version) + ", this Atelier needs ABI " +
                          std::to_string(kPluginAbiVersion) + "; rebuild the plugin against this version");
        auto entry = reinterpret_cast<PluginEntry>(lib->resolve(kPluginEntryPoint));
        if (!entry) return refuse(std::string("has no ") + kPluginEntryPoint + " function");
        Tool* made[64] = {};
        int count = -1;
        try {
            count = entry(made, 64);
        } catch (const std::exception& e) {
            return refuse(std::string(kPluginEntryPoint) + " threw: " + e.what());
        } catch (...) {
            return refuse(std::string(kPluginEntryPoint) + " threw an exception");
        }
        std::vector<std::unique_ptr<Tool>> tools;
        for (int i = 0; i < std::clamp(count, 0, 64); ++i) tools.emplace_back(made[i]);
        if (count < 0 || count > 64)
            return refuse("reported " + std::to_string(count) + " tools");
        // The library stays loaded while its tools exist: the registry keeps it.
        auto plugin = std::make_unique<Plugin>();
        plugin->library = std::move(lib);
        m_plugins.push_back(std::move(plugin));
        for (auto& tool : tools) {
            if (auto added = add(std::move(tool)); !added) return refuse(added.error().message);
        }
        ++loaded;
        logger("agents")->info("loaded tool plugin {}", path.string());
    }
    return loaded;
}

const Tool* ToolRegistry::find(const std::string& name) const {
    for (const auto& t : m_tools)
        if (t->name() == name) return t.get();
    return nullptr;
}

std::vector<const Tool*> ToolRegistry::tools() const {
    std::vector<const Tool*> out;
    for (const auto& t : m_tools) out.push_back(t.get());
    std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->name() < b->name(); });
    return out;
}

Result<void> ToolRegistry::validateArguments(const nlohmann::json& schemaJson,
                                             const nlohmann::json& args) {
    if (!args.is_object()) return unexpected(Error::badInput("arguments must be a JSON object"));
    if (jsonDepth(args, kMaxArgumentDepth) > kMaxArgumentDepth)
        return unexpected(Error::badInput("arguments nest over " + std::to_string(kMaxArgumentDepth) + " levels deep"));
    if (auto ok = checkToolSchema(schemaJson); !ok)
        return unexpected(Error::internal("invalid tool schema: " + ok.error().message));
    // The validator's own regular expressions (std::regex) never see a pattern or a format.
    std::string patternNote;
    auto bounded = boundedSchemaFor(schemaJson, args, &patternNote);
    if (!bounded) return unexpected(bounded.error());
    valijson::Schema schema;
    valijson::ValidationResults results;
    try {
        valijson::SchemaParser parser;
        valijson::adapters::NlohmannJsonAdapter schemaAdapter(*bounded);
        parser.populateSchema(schemaAdapter, schema);
    } catch (const std::exception& e) {
        return unexpected(Error::internal(std::string("invalid tool schema: ") + e.what()));
    }
    try {
        valijson::Validator validator;
        valijson::adapters::NlohmannJsonAdapter argsAdapter(args);
        if (validator.validate(schema, argsAdapter, &results)) return {};
    } catch (const std::exception& e) {
        return unexpected(Error::internal(std::string("invalid tool schema: ") + e.what()));
    }
    std::string message = "invalid arguments:";
    bool refusedByPattern = false;
    valijson::ValidationResults::Error err;
    int shown = 0;
    while (results.popError(err)) {
        refusedByPattern = refusedByPattern || err.description.find("'not'") != std::string::npos;
        if (shown >= 4) continue;
        std::string where;
        for (const auto& c : err.context) where += c;
        message += " " + (where.empty() ? std::string("<root>") : where) + ": " + err.description + ";";
        ++shown;
    }
    if (!message.empty() && message.back() == ';') message.pop_back();
    if (refusedByPattern && !patternNote.empty()) message += " (" + patternNote + ")";
    return unexpected(Error::badInput(message));
}

Result<ToolResult> ToolRegistry::call(const std::string& name, const nlohmann::json& args,
                                      const ToolContext& ctx) const {
    const Tool* tool = find(name);
    if (!tool) return unexpected(Error::badInput("unknown tool '" + name + "'"));
    if (auto v = validateArguments(tool->parameters(), args); !v)
        return unexpected(Error::badInput(name + ": " + v.error().message));
    Result<ToolResult> r = [&]() -> Result<ToolResult> {
        try {
            return tool->run(args, ctx);
        } catch (const std::exception& e) {  // a plugin bug must not cross this boundary
            return unexpected(Error::internal(name + " failed: " + e.what()));
        } catch (...) {
            return unexpected(Error::internal(name + " failed: it threw an exception that is not a std::exception"));
        }
    }();
    if (!r) return r;
    if (r->text.size() > kMaxResultBytes) {
        // Cut on a UTF-8 boundary and say so; the tool's own paging should make this rare.
        r->text = base::truncateUtf8(r->text, kMaxResultBytes) + "\n[... result truncated at " +
                  std::to_string(kMaxResultBytes) + " bytes]";
        r->truncated = true;
    }
    return r;
}

}  // namespace atelier::agents
