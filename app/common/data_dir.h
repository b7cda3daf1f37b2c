#pragma once
// The per-user data folder (ARCHITECTURE.md "Files on the user's machine"), or the folder
// given with --data-dir. Call from the main thread at start-up.

#include <filesystem>
#include <string>

namespace atelier::app {

// `overrideDir` empty: QStandardPaths::AppDataLocation (e.g. ~/.local/share/Atelier).
// Creates the folder; returns an empty path when it cannot be created.
std::filesystem::path resolveDataDir(const std::string& overrideDir);

}  // namespace atelier::app
