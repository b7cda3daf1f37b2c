// Entry point of the git plugin: hands its tools to the host (see tool_registry.h).

#include "atelier/agents/tool_registry.h"
#include "git_tools.h"

ATELIER_PLUGIN_ABI_VERSION()

extern "C" __attribute__((visibility("default"))) int atelier_plugin_tools(
    atelier::agents::Tool** out, int capacity) {
    using namespace atelier::agents::git;
    std::unique_ptr<atelier::agents::Tool> (*makers[])() = {&makeGitLog,   &makeGitShow, &makeGitDiff,
                                                            &makeGitBlame, &makeGitFile, &makeGitGrep};
    const int count = int(std::size(makers));
    for (int i = 0; i < count && i < capacity; ++i) out[i] = makers[i]().release();
    return count;
}
