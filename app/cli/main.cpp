// atelier-cli: the headless face of Atelier (shared/design/CLI.md is the contract).

#include <algorithm>
#include <iostream>

#include <QCoreApplication>

#include "atelier/version.h"
#include "cli/cli_context.h"
#include "common/logging.h"

using namespace atelier;

int main(int argc, char** argv) {
    QCoreApplication::setApplicationName(QStringLiteral("Atelier"));
    QCoreApplication::setOrganizationName(QStringLiteral("Atelier"));
    QCoreApplication::setApplicationVersion(QString::fromLatin1(kVersion));

    cli::CliContext ctx;
    CLI::App root{"atelier-cli: run DeepSeek V4 models, agent teams and their tools on this machine"};
    root.name("atelier-cli");
    root.set_version_flag("--version", std::string("atelier-cli ") + kVersion);
    root.require_subcommand(1);
    root.fallthrough();  // global options after the subcommand reach the root
    cli::addGlobalOptions(root, ctx.options);

    auto& commands = cli::registeredCommands();
    std::sort(commands.begin(), commands.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [name, setup] : commands) setup(root, ctx);

    try {
        root.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return root.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return root.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return root.exit(e);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return root.exit(e);
        std::cerr << "atelier-cli: error: " << e.what() << "\n"
                  << "Run 'atelier-cli --help' for usage." << std::endl;
        return cli::kExitUsage;
    }
    app::LoggingOptions logging;
    app::parseLogLevel(ctx.options.logLevel, logging.level);
    logging.colorStderr = cli::CliContext::stderrIsTerminal();
    // The log file lives in the data folder only when one was named or is needed; commands that
    // need it call ctx.dataDir(), which creates it.
    if (!ctx.options.dataDir.empty()) logging.dataDir = ctx.dataDir();
    logging.fileName = "atelier-cli.log";
    app::setupLogging(logging);
    if (!ctx.action) return cli::kExitOk;
    return ctx.action();
}
