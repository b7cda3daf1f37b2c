#pragma once
// Logging set-up, once per process, from main() (STYLE.md "Logging"): one spdlog logger per
// component sharing two sinks, stderr and a rotating file in <data dir>/logs/. Qt's messages
// are forwarded into the "qt" logger. Nothing is ever logged to stdout.

#include <filesystem>
#include <string>

#include <spdlog/common.h>

namespace atelier::app {

struct LoggingOptions {
    spdlog::level::level_enum level = spdlog::level::info;
    std::filesystem::path dataDir;  // empty: stderr only
    std::string fileName = "atelier.log";
    bool colorStderr = true;
};

// Returns false (and logs to stderr) when the log file could not be opened; stderr logging
// works regardless.
bool setupLogging(const LoggingOptions& options);

// Parses trace|debug|info|warn|error; false on anything else.
bool parseLogLevel(const std::string& text, spdlog::level::level_enum& out);

}  // namespace atelier::app
