// `atelier-cli version`: the version and the libraries it was built with.

#include <iostream>

#include <nlohmann/json.hpp>
#include <QtGlobal>
#include <spdlog/version.h>
#include <sqlite3.h>

#include "atelier/version.h"
#include "cli/cli_context.h"

namespace atelier::cli {
namespace {

void setupVersion(CLI::App& root, CliContext& ctx) {
    auto* sub = root.add_subcommand("version", "Print the version and the libraries linked");
    addJsonFlag(sub, ctx);
    onRun(sub, ctx, [&ctx] {
        nlohmann::json j;
        j["atelier"] = kVersion;
        j["qt"] = qVersion();
        j["sqlite"] = sqlite3_libversion();
        j["spdlog"] = std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) +
                      "." + std::to_string(SPDLOG_VER_PATCH);
        if (ctx.options.json) {
            std::cout << j.dump() << std::endl;
        } else {
            for (auto& [k, v] : j.items()) std::cout << k << " " << v.get<std::string>() << "\n";
        }
        return kExitOk;
    });
}

}  // namespace
ATELIER_CLI_COMMAND("version", setupVersion);
}  // namespace atelier::cli
