#pragma once
// Where a repository's data really lives, checked against the grant. A workspace folder may
// lead libgit2 elsewhere: a `.git` symlink, a `.git` file ("gitdir: /elsewhere/.git"), a
// `commondir` file, a symlinked `objects` folder or object file, or `objects/info/alternates`.
// Each of these is resolved to its real path and asked of the policy (so the audit log records
// the real path); one that leaves the grant refuses the whole repository.
// Environment indirections (GIT_DIR, GIT_ALTERNATE_OBJECT_DIRECTORIES, ...) are never read:
// repositories are opened without GIT_REPOSITORY_OPEN_FROM_ENV.
// Threads: any.

#include <filesystem>
#include <string>

#include <git2.h>

#include "atelier/agents/tool.h"

namespace atelier::agents::git {

// Before libgit2 opens `dir` (canonical, allowed by the policy): where `dir/.git` leads when it
// is a symlink or a gitdir file must be inside the grant; anything else that is not a folder
// (a FIFO would block the open) is refused.
Result<void> checkGitLink(const std::filesystem::path& dir, const std::string& shown, const ToolContext& ctx);

// After opening: the git folder, the common folder, every object folder (alternates followed
// as libgit2 follows them, 5 deep) and every symlink among the objects lie inside the grant.
Result<void> checkObjectStorage(git_repository* repo, const std::filesystem::path& dir,
                                const std::string& shown, const ToolContext& ctx);

}  // namespace atelier::agents::git
