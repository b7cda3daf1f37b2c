// ctest-labels: unit
// The plugin boundary: a plugin built without an ABI version or for another one is refused by
// name before anything else in it runs; an entry point or a tool that throws anything (not only
// a std::exception) becomes an error, never a crash; the real plugins carry this ABI.

#include <QtTest>

#include <filesystem>
#include <string>

#include "atelier/agents/policy.h"
#include "atelier/agents/tool_registry.h"

using namespace atelier::agents;
namespace fs = std::filesystem;

namespace {
const fs::path kCases = fs::path(ATELIER_BINARY_DIR) / "tests" / "test_plugins";

std::string loadError(const std::string& testCase) {
    ToolRegistry registry;
    auto loaded = registry.loadPlugins(kCases / testCase);
    return loaded ? std::string() : loaded.error().message;
}
}  // namespace

class TestPluginAbi : public QObject {
    Q_OBJECT
private slots:
    void aPluginWithoutAnAbiVersionIsRefusedByName() {
        const std::string why = loadError("no_abi_version");
        QVERIFY2(why.find("libatelier_plugin_test_no_abi_version.so") != std::string::npos, why.c_str());
        QVERIFY2(why.find("older Atelier") != std::string::npos, why.c_str());
        QVERIFY2(why.find("ABI " + std::to_string(kPluginAbiVersion)) != std::string::npos, why.c_str());
    }

    void aPluginForAnotherAbiIsRefusedByName() {
        const std::string why = loadError("other_abi_version");
        QVERIFY2(why.find("libatelier_plugin_test_other_abi_version.so") != std::string::npos, why.c_str());
        QVERIFY2(why.find("built for plugin ABI " + std::to_string(kPluginAbiVersion + 1)) != std::string::npos,
                 why.c_str());
    }

    void anEntryPointThatThrowsAnythingIsAnError() {
        const std::string why = loadError("throwing_entry");
        QVERIFY2(why.find("atelier_plugin_tools threw") != std::string::npos, why.c_str());
    }

    void aToolThatThrowsAnythingIsAnError() {
        ToolRegistry registry;
        auto loaded = registry.loadPlugins(kCases / "throwing_tool");
        QVERIFY2(loaded.has_value(), loaded ? "" : loaded.error().message.c_str());
        QCOMPARE(*loaded, 1);
        const Policy policy(std::vector<PathGrant>{});
        const PolicyToolContext ctx(policy, fs::temp_directory_path());
        auto r = registry.call("test_throws", nlohmann::json::object(), ctx);
        QVERIFY(!r.has_value());
        QVERIFY2(r.error().message.find("test_throws failed") != std::string::npos, r.error().message.c_str());
    }

    void theRealPluginsCarryThisAbi() {
        ToolRegistry registry;
        auto loaded = registry.loadPlugins(fs::path(ATELIER_BINARY_DIR) / "lib" / "plugins");
        QVERIFY2(loaded.has_value(), loaded ? "" : loaded.error().message.c_str());
        QCOMPARE(*loaded, 3);
    }
};

QTEST_GUILESS_MAIN(TestPluginAbi)
#include "test_plugin_abi.moc"
