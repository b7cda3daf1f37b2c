// Test doubles: tool plugins that misbehave at the host boundary, one behaviour per build
// (TEST_PLUGIN_CASE): an old plugin with no ABI version, one built for another ABI version,
// one whose entry point throws something that is not a std::exception, and one whose tool
// throws from run(). test_plugin_abi loads each from its own folder.

#include "atelier/agents/tool_registry.h"

namespace {

using namespace atelier::agents;

class ThrowingTool final : public Tool {
public:
    std::string name() const override { return "test_throws"; }
    std::string description() const override { return "Throws an int from run()"; }
    nlohmann::json parameters() const override { return {{"type", "object"}}; }
    std::uint32_t capabilities() const override { return 0; }
    atelier::Result<ToolResult> run(const nlohmann::json&, const ToolContext&) const override { throw 42; }
};

}  // namespace

#if TEST_PLUGIN_CASE == 1  // built before the ABI version existed: no version function
#elif TEST_PLUGIN_CASE == 2  // built for a different ABI
extern "C" __attribute__((visibility("default"))) int atelier_plugin_abi_version() { return kPluginAbiVersion + 1; }
#else
ATELIER_PLUGIN_ABI_VERSION()
#endif

extern "C" __attribute__((visibility("default"))) int atelier_plugin_tools(Tool** out, int capacity) {
#if TEST_PLUGIN_CASE == 3
    (void)out;
    (void)capacity;
    throw "not a std::exception";
#else
    if (capacity > 0) out[0] = new ThrowingTool();
    return 1;
#endif
}
