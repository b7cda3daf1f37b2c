#pragma once
// Walks a folder tree in a stable (sorted) order, skipping `.git`, what .gitignore files
// ignore, symlinks to folders, and anything the policy refuses.

#include <filesystem>
#include <functional>
#include <string>

#include "atelier/agents/tool.h"

namespace atelier::agents::files {

struct WalkEntry {
    std::filesystem::path path;  // canonical
    std::string rel;             // relative to the walk root, '/'-separated
    bool isDir = false;
};

// Calls `visit` for every entry under `root` (depth-first, names sorted); `visit` returns
// false to stop. Entries the policy denies are counted in `*denied` and skipped.
void walkTree(const std::filesystem::path& root, const ToolContext& ctx, bool recursive,
              const std::function<bool(const WalkEntry&)>& visit, int* denied);

}  // namespace atelier::agents::files
