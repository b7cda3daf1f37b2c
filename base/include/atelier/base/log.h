#pragma once
// Named spdlog loggers for the Qt-free layers. app/ configures sinks and levels once at start-up
// (STYLE.md); when it has not (unit tests, fuzzers), a logger writing to stderr at `warn` is
// created on first use. Thread-safe.

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace atelier {

// Returns the logger `name` ("engine", "kernels", "kernels.cuda", "store", "agents", ...).
std::shared_ptr<spdlog::logger> logger(const std::string& name);

}  // namespace atelier
