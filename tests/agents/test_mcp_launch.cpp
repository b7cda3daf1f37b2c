// ctest-labels: unit
// How an MCP server installed outside the workspace starts in the sandbox (issue 20, item 1),
// without npm: a fake npm install tree (node_modules/.bin/srv -> ../pkg/dist/index.js, a
// `#!/usr/bin/env fakenode` script whose interpreter lives in <prefix>/bin with a <prefix>/lib)
// reached through a symlinked folder. resolveMcpLaunch binds the tree holding node_modules, the
// interpreter's bin and lib, puts the interpreter first on PATH and execs the .bin link inside
// its bound tree; the extension fields network, state and timeouts parse and reach the sandbox
// spec; npx without network is refused at once, saying why; trees that would expose a home or
// the data folder are refused. Where bubblewrap works, the link really runs in the sandbox,
// sees its package files and keeps its state folder across runs.

#include <sys/stat.h>

#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "atelier/agents/mcp_client.h"
#include "atelier/agents/mcp_config.h"
#include "atelier/agents/sandbox.h"

using namespace atelier;
using namespace atelier::agents;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void writeExecutable(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    fs::permissions(p, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
}

bool has(const std::vector<fs::path>& v, const fs::path& p) { return std::find(v.begin(), v.end(), p) != v.end(); }

McpServerConfig config(std::string command, std::vector<std::string> args = {}) {
    McpServerConfig c;
    c.name = "srv";
    c.command = std::move(command);
    c.args = std::move(args);
    return c;
}

}  // namespace

class TestMcpLaunch : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path m_root;      // canonical
    fs::path m_tree;      // the npm install folder (holds node_modules)
    fs::path m_alias;     // a symlink to m_tree
    fs::path m_prefix;    // the interpreter's prefix (bin/fakenode, lib/)
    fs::path m_workspace;

private slots:
    void initTestCase() {
        QVERIFY(m_tmp.isValid());
        m_root = fs::canonical(m_tmp.path().toStdString());
        m_tree = m_root / "install";
        m_alias = m_root / "alias";
        m_prefix = m_root / "runtime";
        m_workspace = m_root / "ws";
        fs::create_directories(m_workspace);
        // The interpreter: a script run by the system shell, with modules in <prefix>/lib.
        writeExecutable(m_prefix / "bin" / "fakenode", "#!/bin/sh\nexec /bin/sh \"$@\"\n");
        fs::create_directories(m_prefix / "lib" / "node_modules");
        std::ofstream(m_prefix / "lib" / "runtime.txt") << "runtime module";
        // The package: its bin script reads a file of its own package and one of a dependency.
        const fs::path pkg = m_tree / "node_modules" / "@scope" / "pkg";
        writeExecutable(pkg / "dist" / "index.js",
                        "#!/usr/bin/env fakenode\n"
                        "here=$(dirname \"$(readlink -f \"$0\")\")\n"
                        "echo \"argv0=$0\"\n"
                        "cat \"$here/../data.txt\" \"$here/../../../dep/index.txt\"\n"
                        "echo \"PATH=$PATH\"\n"
                        "if [ -n \"$ATELIER_MCP_STATE\" ]; then echo x >> \"$ATELIER_MCP_STATE/count\"; "
                        "echo \"runs=$(wc -l < \"$ATELIER_MCP_STATE/count\")\"; echo \"home=$HOME\"; fi\n");
        std::ofstream(pkg / "data.txt") << "package data\n";
        fs::create_directories(m_tree / "node_modules" / "dep");
        std::ofstream(m_tree / "node_modules" / "dep" / "index.txt") << "dependency data\n";
        fs::create_directories(m_tree / "node_modules" / ".bin");
        fs::create_symlink("../@scope/pkg/dist/index.js", m_tree / "node_modules" / ".bin" / "srv");
        fs::create_directory_symlink(m_tree, m_alias);
    }

    // The .bin link reached through a symlinked folder: the whole install tree and the
    // interpreter's bin and lib are bound, and the link (its folder resolved) is exec'd.
    void binLinkBindsItsInstallTree() {
        const std::string searchPath = (m_prefix / "bin").string() + ":/usr/bin:/bin";
        auto launch = resolveMcpLaunch(config((m_alias / "node_modules" / ".bin" / "srv").string(), {"--flag"}),
                                       searchPath);
        QVERIFY2(launch.has_value(), launch ? "" : launch.error().message.c_str());
        QCOMPARE(launch->argv.front(), (m_tree / "node_modules" / ".bin" / "srv").string());
        QCOMPARE(launch->argv.back(), std::string("--flag"));
        QVERIFY(has(launch->readOnly, m_tree));
        QVERIFY(has(launch->readOnly, m_prefix / "bin"));
        QVERIFY(has(launch->readOnly, m_prefix / "lib"));
        QVERIFY(!has(launch->readOnly, m_alias));
        QVERIFY(has(launch->pathDirs, m_prefix / "bin"));
        // No bound tree lies inside another, and none is the whole temporary folder.
        for (const auto& a : launch->readOnly) {
            QVERIFY(a != m_root);
            for (const auto& b : launch->readOnly)
                QVERIFY(a == b || b.lexically_relative(a).empty() || *b.lexically_relative(a).begin() == "..");
        }
    }

    // A bare command name is looked up on the host's PATH, like a shell would.
    void bareNameFoundOnPath() {
        const std::string searchPath = (m_tree / "node_modules" / ".bin").string() + ":" + (m_prefix / "bin").string();
        auto launch = resolveMcpLaunch(config("srv"), searchPath);
        QVERIFY2(launch.has_value(), launch ? "" : launch.error().message.c_str());
        QCOMPARE(launch->argv.front(), (m_tree / "node_modules" / ".bin" / "srv").string());
        QVERIFY(has(launch->readOnly, m_tree));
        // Not found on PATH: left to the sandbox's own PATH, nothing bound.
        auto system = resolveMcpLaunch(config("true"), "/nonexistent");
        QVERIFY(system.has_value());
        QCOMPARE(system->argv.front(), std::string("true"));
        QVERIFY(system->readOnly.empty());
    }

    // `interpreter /abs/script` binds the script's folder (and a node_modules script's tree).
    void scriptArgumentBindsItsFolder() {
        const fs::path scripts = m_root / "scripts";
        writeExecutable(scripts / "server.sh", "echo hi\n");
        auto launch = resolveMcpLaunch(config("/bin/sh", {(scripts / "server.sh").string(), m_workspace.string()}),
                                       "/usr/bin:/bin");
        QVERIFY2(launch.has_value(), launch ? "" : launch.error().message.c_str());
        QVERIFY(has(launch->readOnly, scripts));
        QVERIFY(!has(launch->readOnly, m_workspace));  // a folder argument is no install tree
        auto nodeScript = resolveMcpLaunch(
            config("/bin/sh", {(m_tree / "node_modules" / "@scope" / "pkg" / "dist" / "index.js").string()}),
            "/usr/bin:/bin");
        QVERIFY(nodeScript.has_value());
        QVERIFY(has(nodeScript->readOnly, m_tree));
    }

    void missingCommandIsNamed() {
        auto launch = resolveMcpLaunch(config((m_root / "no-such" / "srv").string()), "/usr/bin");
        QVERIFY(!launch);
        QVERIFY(launch.error().message.find("no-such/srv does not exist") != std::string::npos);
    }

    // A program lying directly in a home folder, or a tree holding the data folder, is refused.
    void wideTreesAreRefused() {
        const fs::path home = m_root / "home";
        writeExecutable(home / "server.sh", "#!/bin/sh\n");
        const char* oldHome = std::getenv("HOME");
        const std::string saved = oldHome ? oldHome : "";
        ::setenv("HOME", home.c_str(), 1);
        auto inHome = resolveMcpLaunch(config((home / "server.sh").string()), "/usr/bin");
        if (oldHome) ::setenv("HOME", saved.c_str(), 1);
        else ::unsetenv("HOME");
        QVERIFY(!inHome);
        QCOMPARE(inHome.error().code, ErrorCode::Denied);
        QVERIFY(inHome.error().message.find("home folder") != std::string::npos);
        auto data = resolveMcpLaunch(config((m_tree / "node_modules" / ".bin" / "srv").string()), "/usr/bin",
                                     m_tree / "node_modules" / "dep");
        QVERIFY(!data);
        QVERIFY(data.error().message.find("data folder") != std::string::npos);
    }

    void extensionFieldsParse() {
        const json doc = {{"mcpServers",
                           {{"mem", {{"command", "x"}, {"network", true}, {"state", true},
                                     {"timeouts", {{"start_s", 2.5}, {"call_s", 300}}}}},
                            {"own", {{"command", "x"}, {"state", "st"}}},
                            {"plain", {{"command", "x"}}}}}};
        auto servers = parseMcpConfig(doc.dump(), "cfg.json", "/base");
        QVERIFY2(servers.has_value(), servers ? "" : servers.error().message.c_str());
        const McpServerConfig& mem = servers->at(0);
        QVERIFY(mem.network && mem.state && mem.statePath.empty());
        QCOMPARE(mem.startTimeout.value_or(std::chrono::milliseconds(0)), std::chrono::milliseconds(2500));
        QCOMPARE(mem.callTimeout.value_or(std::chrono::milliseconds(0)), std::chrono::milliseconds(300000));
        QVERIFY(servers->at(1).state);
        QCOMPARE(servers->at(1).statePath, fs::path("/base/st"));
        QVERIFY(!servers->at(2).network && !servers->at(2).state && !servers->at(2).callTimeout);
        const auto bad = [](json entry) {
            return parseMcpConfig(json{{"mcpServers", {{"s", std::move(entry)}}}}.dump(), "c");
        };
        const std::pair<json, std::string> cases[] = {
            {{{"command", "x"}, {"network", "yes"}}, "c: mcpServers.s.network must be true or false"},
            {{{"command", "x"}, {"state", 3}}, "c: mcpServers.s.state must be true, false or a folder"},
            {{{"command", "x"}, {"timeouts", {{"call_s", 0}}}}, "c: mcpServers.s.timeouts.call_s must be"},
            {{{"command", "x"}, {"timeouts", {{"boot", 1}}}}, "c: mcpServers.s.timeouts.boot is not a timeout"},
            {{{"command", "x"}, {"timeouts", 5}}, "c: mcpServers.s.timeouts must be an object"},
        };
        for (const auto& [entry, want] : cases) {
            auto r = bad(entry);
            QVERIFY2(!r, entry.dump().c_str());
            QVERIFY2(r.error().message.rfind(want, 0) == 0, r.error().message.c_str());
        }
    }

    // npx fetches its package at start: without network it is refused at once, saying so.
    void npxWithoutNetworkIsRefusedAtOnce() {
        const Policy policy({{m_workspace, Access::Read}});
        auto npx = config("npx", {"-y", "@modelcontextprotocol/server-memory"});
        auto refused = mcpSandboxSpec(npx, policy);
        QVERIFY(!refused);
        QCOMPARE(refused.error().code, ErrorCode::Denied);
        QVERIFY2(refused.error().message.find("no network") != std::string::npos, refused.error().message.c_str());
        QVERIFY(refused.error().message.find("\"network\": true") != std::string::npos);
        auto npmExec = config("npm", {"exec", "pkg"});
        QVERIFY(!mcpSandboxSpec(npmExec, policy));
        npx.network = true;
        auto allowed = mcpSandboxSpec(npx, policy);
        QVERIFY2(allowed.has_value(), allowed ? "" : allowed.error().message.c_str());
        QVERIFY(allowed->network);
        QVERIFY(!mcpSandboxSpec(config("/bin/sh"), policy).value().network);
        if (sandbox::findBwrap()) {
            auto argv = sandbox::commandLine(*allowed, policy);
            QVERIFY(argv.has_value());
            QVERIFY(std::find(argv->begin(), argv->end(), "--share-net") != argv->end());
            QVERIFY(std::find(argv->begin(), argv->end(), "--unshare-net") == argv->end());
        }
    }

    // "state": a folder under the state root, created, bound writable, HOME and
    // ATELIER_MCP_STATE pointing at it and ${ATELIER_MCP_STATE} replaced in env values.
    void stateFolderReachesTheSpec() {
        const Policy policy({{m_workspace, Access::Read}});
        auto c = config("/bin/sh");
        c.state = true;
        c.env = {{"MEMORY_FILE_PATH", "${ATELIER_MCP_STATE}/memory.jsonl"}};
        McpOptions options;
        options.stateRoot = m_root / "data" / "mcp";
        auto spec = mcpSandboxSpec(c, policy, options);
        QVERIFY2(spec.has_value(), spec ? "" : spec.error().message.c_str());
        const fs::path state = m_root / "data" / "mcp" / "srv";
        QVERIFY(fs::is_directory(state));
        QCOMPARE(spec->extraWritable, std::vector<fs::path>{state});
        const auto env = [&](const std::string& key) {
            std::string v;
            for (const auto& [k, val] : spec->env)
                if (k == key) v = val;  // the last one wins, as with bwrap --setenv
            return v;
        };
        QCOMPARE(env("HOME"), state.string());
        QCOMPARE(env("ATELIER_MCP_STATE"), state.string());
        QCOMPARE(env("MEMORY_FILE_PATH"), (state / "memory.jsonl").string());
        auto noRoot = mcpSandboxSpec(c, policy);
        QVERIFY(!noRoot && noRoot.error().message.find("data folder") != std::string::npos);
        c.state = false;
        auto noState = mcpSandboxSpec(c, policy, options);
        QVERIFY(!noState && noState.error().message.find("no \"state\" folder") != std::string::npos);
    }

    // In the real sandbox: the .bin link runs through its interpreter from outside the system
    // folders, reads its own package and a dependency, and its state survives a second run.
    void linkRunsInTheSandbox() {
        if (auto ok = sandbox::available(); !ok) QSKIP(("no sandbox here: " + ok.error().message).c_str());
        const Policy policy({{m_workspace, Access::Read}});
        auto c = config((m_alias / "node_modules" / ".bin" / "srv").string());
        c.state = true;
        McpOptions options;
        options.stateRoot = m_root / "data2" / "mcp";
        const char* hostPath = std::getenv("PATH");
        const std::string savedPath = hostPath ? hostPath : "";
        ::setenv("PATH", ((m_prefix / "bin").string() + ":" + savedPath).c_str(), 1);
        auto spec = mcpSandboxSpec(c, policy, options);
        ::setenv("PATH", savedPath.c_str(), 1);
        QVERIFY2(spec.has_value(), spec ? "" : spec.error().message.c_str());
        for (int run = 1; run <= 2; ++run) {
            auto out = sandbox::run(*spec, policy);
            QVERIFY2(out.has_value(), out ? "" : out.error().message.c_str());
            QVERIFY2(out->exitCode == 0, (out->out + out->err).c_str());
            QVERIFY2(out->out.find("package data\ndependency data\n") != std::string::npos, out->out.c_str());
            QVERIFY(out->out.find("argv0=" + (m_tree / "node_modules" / ".bin" / "srv").string()) != std::string::npos);
            QVERIFY(out->out.find("PATH=" + (m_prefix / "bin").string() + ":") != std::string::npos);
            QVERIFY2(out->out.find("runs=" + std::to_string(run)) != std::string::npos, out->out.c_str());
        }
        // The install tree is read-only inside.
        SandboxSpec write = *spec;
        write.argv = {"/bin/sh", "-c", "echo x > " + (m_tree / "written").string()};
        auto out = sandbox::run(write, policy);
        QVERIFY(out.has_value());
        QVERIFY(out->exitCode != 0);
        QVERIFY(!fs::exists(m_tree / "written"));
    }
};

QTEST_GUILESS_MAIN(TestMcpLaunch)
#include "test_mcp_launch.moc"
