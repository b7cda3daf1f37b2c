#pragma once
// libgit2 plumbing shared by the git tools: owning handles, opening the repository the policy
// allows, resolving revisions to commits, and errors that say what failed.
// Threads: any; libgit2 is initialised per call (reference-counted) and handles are not shared.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <git2.h>
#include <nlohmann/json.hpp>

#include "atelier/agents/tool.h"

namespace atelier::agents::git {

template <typename T, void (*Free)(T*)>
struct GitDeleter {
    void operator()(T* p) const { Free(p); }
};
using RepoPtr = std::unique_ptr<git_repository, GitDeleter<git_repository, git_repository_free>>;
using CommitPtr = std::unique_ptr<git_commit, GitDeleter<git_commit, git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, GitDeleter<git_tree, git_tree_free>>;
using ObjectPtr = std::unique_ptr<git_object, GitDeleter<git_object, git_object_free>>;
using BlobPtr = std::unique_ptr<git_blob, GitDeleter<git_blob, git_blob_free>>;
using DiffPtr = std::unique_ptr<git_diff, GitDeleter<git_diff, git_diff_free>>;
using PatchPtr = std::unique_ptr<git_patch, GitDeleter<git_patch, git_patch_free>>;
using WalkPtr = std::unique_ptr<git_revwalk, GitDeleter<git_revwalk, git_revwalk_free>>;
using EntryPtr = std::unique_ptr<git_tree_entry, GitDeleter<git_tree_entry, git_tree_entry_free>>;

// git_libgit2_init for the lifetime of one tool call.
class GitLibrary {
public:
    GitLibrary() { git_libgit2_init(); }
    ~GitLibrary() { git_libgit2_shutdown(); }
    GitLibrary(const GitLibrary&) = delete;
    GitLibrary& operator=(const GitLibrary&) = delete;
};

// The last libgit2 error, prefixed with `what`.
Error gitError(const std::string& what);

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
// Seconds since the epoch with an offset (minutes east of UTC) as ISO 8601: 2024-03-10T12:00:00+02:00.
std::string isoDate(std::int64_t time, int offset);
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
