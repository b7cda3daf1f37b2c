#include "cli/cli_context.h"

#include <algorithm>
#include <iostream>
#include <thread>

#include <unistd.h>

#include "atelier/engine/compute_backends.h"
#include "atelier/engine/model.h"
#include "cli/memory_budget.h"
#include "common/data_dir.h"

namespace atelier::cli {

std::vector<std::pair<std::string, CommandSetup>>& registeredCommands() {
    static std::vector<std::pair<std::string, CommandSetup>> commands;
    return commands;
}

CommandRegistration::CommandRegistration(const char* name, CommandSetup setup) {
    registeredCommands().emplace_back(name, std::move(setup));
}

std::filesystem::path CliContext::dataDir() {
    if (m_dataDir.empty()) {
        m_dataDir = app::resolveDataDir(options.dataDir);
        if (m_dataDir.empty())
            fail(ErrorCode::Io, "cannot create the data folder '" + options.dataDir + "'");
    }
    return m_dataDir;
}

Result<engine::ModelOptions> CliContext::modelOptions() const {
    auto backend = engine::chooseComputeBackend(options.backend);
    if (!backend) return unexpected(Error{backend.error().code, "--backend: " + backend.error().message});
    const auto numerics = engine::parseNumerics(options.numerics);
    if (!numerics) return unexpected(Error::usage("--numerics must be release or plain"));
    engine::ModelOptions o;
    o.numerics = *numerics;
    o.backend = backend->kind;
    o.threads = options.threads > 0 ? options.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    o.pinThreads = options.pinThreads;
    return o;
}

int CliContext::exitCodeFor(ErrorCode code) {
    switch (code) {
    case ErrorCode::Usage: return kExitUsage;
    case ErrorCode::BadInput:
    case ErrorCode::Denied:
    case ErrorCode::NotFound: return kExitBadInput;
    default: return kExitFailure;
    }
}

int CliContext::fail(const Error& error) const {
    std::cerr << "atelier-cli: error: " << error.message << std::endl;
    return exitCodeFor(error.code);
}

void addJsonFlag(CLI::App* sub, CliContext& ctx) {
    sub->add_flag(std::string("--json"), ctx.options.json,
                  std::string("Print JSON on stdout (JSON Lines for streams)"));
}

void onRun(CLI::App* sub, CliContext& ctx, std::function<int()> fn) {
    sub->callback([&ctx, fn = std::move(fn)] { ctx.action = fn; });
}

bool CliContext::stderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

void addGlobalOptions(CLI::App& app, GlobalOptions& o) {
    // Options live on the root and every subcommand; CLI11 fills whichever saw the flag.
    app.option_defaults()->always_capture_default(false);
    app.add_option("--data-dir", o.dataDir, "Data folder (default: the per-user data folder)")
        ->group("Global options");
    app.add_option("--threads", o.threads, "Worker threads (default: every core)")
        ->check(CLI::NonNegativeNumber)
        ->group("Global options");
    app.add_flag("--pin-threads", o.pinThreads, "Bind each worker thread to its own core")
        ->group("Global options");
    app.add_option("--backend", o.backend, "Compute backend")
        ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
        ->group("Global options");
    app.add_option("--memory-budget", o.memoryBudget,
                   "Bytes for the routed-expert cache (e.g. 8G, 8GiB) or auto; smaller than the experts "
                   "streams them from disk (default: map every weight)")
        ->check(CLI::Validator(
            [](std::string& text) {
                if (text.empty()) return std::string("--memory-budget: empty (expected BYTES or auto)");
                auto budget = parseMemoryBudget(text);
                return budget ? std::string() : budget.error().message;
            },
            "BYTES|auto"))
        ->group("Global options");
    app.add_option("--expert-policy", o.expertPolicy, "Which experts the cache keeps: frequency or lru")
        ->check(CLI::IsMember({"frequency", "lru"}))
        ->group("Global options");
    app.add_option("--log-level", o.logLevel, "Log level on stderr")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
        ->group("Global options");
}

}  // namespace atelier::cli
