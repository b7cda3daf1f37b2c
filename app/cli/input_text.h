#pragma once
// The text a subcommand reads from `--input FILE`, or from stdin when no file (or "-") is given.
// Main thread only.

#include <string>

#include "atelier/base/result.h"

namespace atelier::cli {

// The whole file (or stdin) as bytes; an unreadable file is bad input (exit 3).
Result<std::string> readInputText(const std::string& path);

}  // namespace atelier::cli
