#pragma once
// The per-user data folder (ARCHITECTURE.md "Files on the user's machine"), or the folder
// given with --data-dir. Call from the main thread at start-up.

#include <filesystem>
#include <string>

namespace atelier::app {

// The per-user data folder of the window and the CLI alike: "Atelier" in Qt's
// GenericDataLocation ($XDG_DATA_HOME or ~/.local/share on Linux: ~/.local/share/Atelier).
// Empty when there is no such location.
std::filesystem::path defaultDataDir();

// `overrideDir` empty: defaultDataDir(), where the entries of the folder earlier versions used
// (~/.local/share/Atelier/Atelier, organization and application name both "Atelier") are moved
// first, none overwriting one already there. Creates the folder; returns an empty path when it
// cannot be created.
std::filesystem::path resolveDataDir(const std::string& overrideDir);

}  // namespace atelier::app
