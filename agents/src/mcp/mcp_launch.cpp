// How an MCP server's command is started in the sandbox (see mcp_client.h): its install trees,
// interpreter, state folder and network.

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <system_error>

#include "atelier/agents/mcp_client.h"

namespace atelier::agents {
namespace fs = std::filesystem;

namespace {

constexpr const char* kStateVariable = "ATELIER_MCP_STATE";
constexpr const char* kSandboxPath = "/usr/local/bin:/usr/bin:/bin";

bool within(const fs::path& outer, const fs::path& inner) {
    const auto rel = inner.lexically_relative(outer);
    return !rel.empty() && *rel.begin() != "..";
}

// Folders every sandbox shows already (sandbox_command.cpp's systemMounts).
bool systemPath(const fs::path& p) {
    for (const char* dir : {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"})
        if (p == dir || within(dir, p)) return true;
    return false;
}

bool executableFile(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

// `name` on the colon-separated `searchPath` (lexical: links are kept), or empty.
fs::path lookUp(const std::string& name, const std::string& searchPath) {
    std::size_t start = 0;
    while (start <= searchPath.size()) {
        const std::size_t end = std::min(searchPath.find(':', start), searchPath.size());
        const std::string dir = searchPath.substr(start, end - start);
        if (!dir.empty() && fs::path(dir).is_absolute() && executableFile(fs::path(dir) / name))
            return fs::path(dir) / name;
        start = end + 1;
    }
    return {};
}

// The interpreter a `#!` line names: an absolute path, or for `#!/usr/bin/env [-S] NAME` the
// name; empty when `file` has no `#!` line.
std::string shebangInterpreter(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::string line;
    if (!in || !std::getline(in, line) || line.rfind("#!", 0) != 0) return {};
    std::vector<std::string> words;
    std::size_t at = 2;
    while (at < line.size()) {
        const std::size_t begin = line.find_first_not_of(" \t\r", at);
        if (begin == std::string::npos) break;
        const std::size_t end = std::min(line.find_first_of(" \t\r", begin), line.size());
        words.push_back(line.substr(begin, end - begin));
        at = end;
    }
    if (words.empty()) return {};
    if (fs::path(words[0]).filename() != "env") return words[0];
    for (std::size_t i = 1; i < words.size(); ++i)
        if (words[i].empty() || words[i][0] != '-') return words[i];
    return {};
}

class LaunchBuilder {
public:
    LaunchBuilder(const McpServerConfig& config, const std::string& searchPath, const fs::path& dataDir)
        : m_config(config), m_searchPath(searchPath), m_dataDir(dataDir) {}

    Result<McpLaunch> build() {
        McpLaunch launch;
        launch.argv.push_back(m_config.command);
        launch.argv.insert(launch.argv.end(), m_config.args.begin(), m_config.args.end());
        fs::path command = m_config.command;
        if (!command.is_absolute()) command = lookUp(m_config.command, m_searchPath);
        if (!command.empty()) {
            std::error_code ec;
            if (!fs::exists(command, ec))
                return unexpected(Error::notFound(where() + "its command " + command.string() + " does not exist"));
            const fs::path real = fs::canonical(command, ec);
            if (ec) return unexpected(Error::notFound(where() + "cannot resolve its command " + command.string()));
            if (auto ok = addProgram(real); !ok) return unexpected(ok.error());
            // The link itself (node_modules/.bin/x) with its folder resolved: exec it where that
            // folder is visible, so the program sees the argv[0] it was installed with.
            const fs::path linkDir = fs::canonical(command.parent_path(), ec);
            const fs::path link = ec ? real : linkDir / command.filename();
            launch.argv[0] = visible(link) ? link.string() : real.string();
            if (!m_config.command.empty() && fs::path(m_config.command).is_relative() && !systemPath(real))
                m_pathDirs.push_back(real.parent_path());  // e.g. npx starting `node` beside it
        }
        for (const auto& arg : m_config.args) {
            std::error_code ec;
            if (!fs::path(arg).is_absolute() || !fs::is_regular_file(arg, ec)) continue;
            const fs::path real = fs::canonical(arg, ec);
            if (ec) continue;
            if (auto ok = addTree(treeOf(real)); !ok) return unexpected(ok.error());
        }
        launch.readOnly = m_trees;
        launch.pathDirs = m_pathDirs;
        return launch;
    }

private:
    std::string where() const { return "MCP server '" + m_config.name + "': "; }

    // The install tree of a file: the folder holding the outermost node_modules above it; for
    // a native program (ELF) the file alone; else (a script) its own folder.
    static fs::path treeOf(const fs::path& real) {
        fs::path prefix;
        for (const auto& part : real.parent_path()) {
            if (part == "node_modules") return prefix;
            prefix /= part;
        }
        char magic[4] = {};
        std::ifstream in(real, std::ios::binary);
        if (in.read(magic, 4) && magic[0] == '\x7f' && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F')
            return real;
        return real.parent_path();
    }

    bool visible(const fs::path& p) const {
        if (systemPath(p)) return true;
        return std::any_of(m_trees.begin(), m_trees.end(), [&](const fs::path& t) { return within(t, p); });
    }

    // A program (the command, or an interpreter): its tree, <prefix>/lib beside <prefix>/bin,
    // and the tree of the interpreter its `#!` line names.
    Result<void> addProgram(const fs::path& real, int depth = 0) {
        if (!systemPath(real)) {
            if (auto ok = addTree(treeOf(real)); !ok) return ok;
            if (real.parent_path().filename() == "bin") {
                std::error_code ec;
                const fs::path lib = real.parent_path().parent_path() / "lib";
                if (fs::is_directory(lib, ec)) {
                    if (auto ok = addTree(fs::canonical(lib, ec)); !ok) return ok;
                }
            }
        }
        const std::string interpreter = depth < 2 ? shebangInterpreter(real) : std::string();
        if (interpreter.empty()) return {};
        fs::path found = fs::path(interpreter).is_absolute() ? fs::path(interpreter) : lookUp(interpreter, m_searchPath);
        std::error_code ec;
        if (found.empty() || !fs::exists(found, ec)) return {};  // the sandbox's own PATH may have it
        const fs::path realInterpreter = fs::canonical(found, ec);
        if (ec) return {};
        if (!fs::path(interpreter).is_absolute() && !systemPath(realInterpreter))
            m_pathDirs.push_back(realInterpreter.parent_path());
        return addProgram(realInterpreter, depth + 1);
    }

    Result<void> addTree(const fs::path& tree) {
        if (tree.empty() || systemPath(tree)) return {};
        if (auto ok = checkTree(tree); !ok) return ok;
        if (std::any_of(m_trees.begin(), m_trees.end(), [&](const fs::path& t) { return t == tree || within(t, tree); }))
            return {};
        m_trees.erase(std::remove_if(m_trees.begin(), m_trees.end(), [&](const fs::path& t) { return within(tree, t); }),
                      m_trees.end());
        m_trees.push_back(tree);
        return {};
    }

    Result<void> checkTree(const fs::path& tree) const {
        const auto tooWide = [&](const std::string& what) {
            return unexpected(ErrorCode::Denied,
                              where() + "its program's folder " + tree.string() + " would show the server " + what +
                                  "; install the server in a folder of its own (e.g. npm install --prefix DIR PACKAGE)");
        };
        if (tree == "/" || tree == "/tmp" || tree == "/home" || tree == "/root") return tooWide("that whole folder");
        if (const char* home = std::getenv("HOME"); home && *home) {
            std::error_code ec;
            const fs::path h = fs::weakly_canonical(home, ec);
            if (!ec && (tree == h || within(tree, h))) return tooWide("your home folder");
        }
        if (!m_dataDir.empty() && (tree == m_dataDir || within(tree, m_dataDir)))
            return tooWide("Atelier's data folder");
        return {};
    }

    const McpServerConfig& m_config;
    const std::string m_searchPath;
    const fs::path m_dataDir;
    std::vector<fs::path> m_trees;
    std::vector<fs::path> m_pathDirs;
};

// A launcher that fetches its package when it starts.
bool downloadsAtStart(const McpServerConfig& config) {
    const std::string name = fs::path(config.command).filename().string();
    if (name == "npx" || name == "uvx" || name == "bunx" || name == "pnpx") return true;
    const std::string first = config.args.empty() ? std::string() : config.args[0];
    if (name == "npm" || name == "pnpm" || name == "yarn" || name == "bun")
        return first == "exec" || first == "dlx" || first == "x";
    if (name == "uv" || name == "pipx") return first == "run" || first == "tool";
    return false;
}

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

}  // namespace

Result<McpLaunch> resolveMcpLaunch(const McpServerConfig& config, const std::string& searchPath,
                                   const fs::path& dataDir) {
    return LaunchBuilder(config, searchPath, dataDir).build();
}

Result<SandboxSpec> mcpSandboxSpec(const McpServerConfig& config, const Policy& policy, const McpOptions& options) {
    const std::string where = "MCP server '" + config.name + "': ";
    if (!config.network && downloadsAtStart(config))
        return unexpected(ErrorCode::Denied,
                          where + fs::path(config.command).filename().string() +
                              " downloads the server's package when it starts, and the sandbox has no network; "
                              "install the package once (npm install --prefix DIR PACKAGE) and set \"command\" to "
                              "DIR/node_modules/.bin/NAME, or allow this server the network with \"network\": true");
    const char* hostPath = std::getenv("PATH");
    auto launch = resolveMcpLaunch(config, hostPath ? hostPath : "", policy.dataDir());
    if (!launch) return unexpected(launch.error());
    SandboxSpec spec;
    spec.argv = std::move(launch->argv);
    spec.extraReadOnly = std::move(launch->readOnly);
    spec.network = config.network;
    if (config.limits.processes) spec.maxProcesses = *config.limits.processes;
    if (config.limits.addressSpaceBytes) spec.maxAddressSpaceBytes = *config.limits.addressSpaceBytes;
    if (!launch->pathDirs.empty()) {
        std::string path;
        for (const auto& d : launch->pathDirs) path += d.string() + ":";
        spec.env.emplace_back("PATH", path + kSandboxPath);
    }
    std::string state;
    if (config.state) {
        fs::path dir = config.statePath;
        if (dir.empty()) {
            if (options.stateRoot.empty())
                return unexpected(Error::badInput(where + "\"state\": true needs Atelier's data folder, and none is set"));
            dir = options.stateRoot / config.name;
        }
        std::error_code ec;
        fs::create_directories(dir, ec);
        const fs::path real = fs::canonical(dir, ec);
        if (ec || !fs::is_directory(real, ec))
            return unexpected(Error::io(where + "cannot create its state folder " + dir.string()));
        state = real.string();
        spec.extraWritable.push_back(real);
        spec.env.emplace_back("HOME", state);
        spec.env.emplace_back(kStateVariable, state);
    }
    const std::string variable = std::string("${") + kStateVariable + "}";
    const auto substitute = [&](const std::string& text) -> Result<std::string> {
        if (text.find(variable) == std::string::npos) return text;
        if (state.empty())
            return unexpected(Error::badInput(where + "uses " + variable + " but has no \"state\" folder"));
        return replaceAll(text, variable, state);
    };
    for (std::size_t i = 1; i < spec.argv.size(); ++i) {
        auto v = substitute(spec.argv[i]);
        if (!v) return unexpected(v.error());
        spec.argv[i] = *v;
    }
    for (const auto& [key, value] : config.env) {
        auto v = substitute(value);
        if (!v) return unexpected(v.error());
        spec.env.emplace_back(key, *v);
    }
    for (const auto& g : policy.grants()) {
        std::error_code ec;
        if (fs::is_directory(g.root, ec)) {
            spec.workdir = fs::canonical(g.root, ec);
            break;
        }
    }
    return spec;
}

}  // namespace atelier::agents
