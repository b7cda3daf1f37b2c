#pragma once
// The shared state of one atelier-cli invocation: the global options of CLI.md and the exit
// status. Subcommands register themselves with ATELIER_CLI_COMMAND in their own .cpp file.
// Main thread only.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "atelier/base/result.h"

namespace atelier::engine {
struct ModelOptions;  // atelier/engine/model.h, included where modelOptions() is called
}

namespace atelier::cli {

// Exit codes (CLI.md): 0 success, 1 runtime failure, 2 usage, 3 bad input or policy refusal.
enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2, kExitBadInput = 3 };

struct GlobalOptions {
    std::string dataDir;
    int threads = 0;  // 0: every core
    bool pinThreads = false;
    std::string backend = "auto";
    std::string logLevel = "warn";
    std::string numerics = "release";
    bool json = false;
    std::string memoryBudget;  // --memory-budget: empty (no expert cache), "auto" or a size
    std::string expertPolicy = "frequency";
};

class CliContext {
public:
    GlobalOptions options;

    // The data folder (created on first use); empty with an error printed when unusable.
    std::filesystem::path dataDir();

    // Prints `atelier-cli: error: <message>` on stderr and returns the exit code for `error`.
    int fail(const Error& error) const;
    int fail(ErrorCode code, const std::string& message) const { return fail(Error{code, message}); }

    // The exit code (CLI.md, docs/cli.md) for an error of kind `code`: Usage exits 2; BadInput,
    // NotFound and Denied (a refusal by the policy, a permission or an allowlist) exit 3;
    // everything else (Io, Cancelled, Overflow, Internal) exits 1. Only app/ knows exit codes.
    static int exitCodeFor(ErrorCode code);

    // The global options as a model load takes them: --backend chosen by the engine
    // (engine::chooseComputeBackend: "auto" picks, a named backend that cannot run a model here
    // is a Usage error with the engine's reason, never a silent fallback), --numerics, --threads
    // (0: every core) and --pin-threads. Every subcommand that loads a model calls this before
    // reading any file.
    Result<engine::ModelOptions> modelOptions() const;

    // Whether stderr is a terminal (progress bars only then).
    static bool stderrIsTerminal();

    // The selected subcommand's work; set by its CLI11 callback during parsing and run by
    // main() once logging is configured.
    std::function<int()> action;

private:
    std::filesystem::path m_dataDir;
};

// Adds the global options to `app` (the root or a subcommand), so that they are accepted
// before or after the subcommand name.
void addGlobalOptions(CLI::App& app, GlobalOptions& options);

// Adds `--json` (one JSON document, or JSON Lines for streams, on stdout) to `sub`.
void addJsonFlag(CLI::App* sub, CliContext& ctx);

// Makes `sub`, when selected, run `fn` after parsing.
void onRun(CLI::App* sub, CliContext& ctx, std::function<int()> fn);

using CommandSetup = std::function<void(CLI::App& root, CliContext& ctx)>;

struct CommandRegistration {
    CommandRegistration(const char* name, CommandSetup setup);
};

std::vector<std::pair<std::string, CommandSetup>>& registeredCommands();

}  // namespace atelier::cli

#define ATELIER_CLI_CONCAT_(a, b) a##b
#define ATELIER_CLI_CONCAT(a, b) ATELIER_CLI_CONCAT_(a, b)
// Registers a function `void f(CLI::App& root, CliContext& ctx)` that adds a subcommand.
#define ATELIER_CLI_COMMAND(name, fn) \
    static ::atelier::cli::CommandRegistration ATELIER_CLI_CONCAT(_atelier_cli_reg_, __COUNTER__)(name, fn)
