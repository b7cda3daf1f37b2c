#pragma once
// libgit2 plumbing shared by the git tools: opening the repository the policy allows, resolving
// revisions to commits, commits as JSON. The owning handles, GitLibrary, gitError and isoDate
// come from libgit2_handles.h (agents/src/libgit2), shared with the document service.
// Threads: any; libgit2 is initialised per call (reference-counted) and handles are not shared.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <git2.h>
#include <nlohmann/json.hpp>

#include "atelier/agents/tool.h"
#include "libgit2_handles.h"  // owning handles, GitLibrary, gitError, isoDate

namespace atelier::agents::git {

struct OpenedRepo {
    RepoPtr repo;
    std::string shown;              // the repository as the tool results name it
    std::filesystem::path root;     // the granted folder: the work tree, or a bare repository
};

// Opens args["repo"] (default ".", the workspace) after the policy allowed reading it. Does not
// search parent folders: the repository must be the folder that was granted, and its git data
// (a `.git` symlink or gitdir file, the common folder, objects, alternates) must lie inside the
// grant too (git_storage.h).
Result<OpenedRepo> openRepo(const nlohmann::json& args, const ToolContext& ctx);

// The commit `rev` names ("HEAD", a branch, a tag, an id, "HEAD~2"); clear errors for an
// empty repository and an unknown revision.
Result<CommitPtr> resolveCommit(git_repository* repo, const std::string& rev);

// checkTreePath as diffTrees' WithholdCheck: the refusal's message, or "" when allowed.
std::string withheldReason(const OpenedRepo& repo, const std::string& path, const ToolContext& ctx);

// Refuses a path inside the repository that the policy denies (a committed `.env`, a key), in
// any revision: the policy judges the path as the tree names it, under the granted folder.
Result<void> checkTreePath(const OpenedRepo& repo, const std::string& path, const ToolContext& ctx);

std::string oidHex(const git_oid* oid);
std::string shortId(const git_oid* oid);  // 12 hex digits

// {"id", "author", "email", "date", "committer", "committer_email", "committer_date", "summary"}
// of a commit, text made valid UTF-8. "date" is the author date, as `git log` and `git blame`
// print it.
nlohmann::json commitJson(const git_commit* commit);
// The committer date (what orders history) and the author date, as ISO 8601.
std::string commitDate(const git_commit* commit);
std::string authorDate(const git_commit* commit);

SourceRef gitSource(const OpenedRepo& repo, const git_oid* commit, const std::string& path = {},
                    int firstLine = 0, int lastLine = 0);

}  // namespace atelier::agents::git

namespace atelier::agents::git {

// The content of `path` in `commit`'s tree; errors name the path and the commit.
Result<std::string> readBlobAt(git_repository* repo, git_commit* commit, const std::string& path);

}  // namespace atelier::agents::git
