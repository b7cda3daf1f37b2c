#pragma once
// The small libgit2 adapter shared by the git tools plugin (agents/plugins/git) and the document
// service's commit details (src/documents): owning handles, the library's lifetime, errors that
// say what failed, and git's times as ISO 8601. Header-only, so that the plugin, which links
// nothing from the host but atelier_base, and atelier_documents use one copy without depending
// on each other; each links libgit2 itself.
// Threads: any; libgit2 is initialised per use (reference-counted) and handles are not shared.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>

#include <git2.h>

#include "atelier/base/result.h"
#include "atelier/base/utf8.h"

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

// git_libgit2_init for the lifetime of one use (a tool call, a commit read).
class GitLibrary {
public:
    GitLibrary() { git_libgit2_init(); }
    ~GitLibrary() { git_libgit2_shutdown(); }
    GitLibrary(const GitLibrary&) = delete;
    GitLibrary& operator=(const GitLibrary&) = delete;
};

// The last libgit2 error, prefixed with `what`, as valid UTF-8 (it may quote a path).
inline Error gitError(const std::string& what) {
    const git_error* e = git_error_last();
    if (!e || !e->message) return Error::badInput(what);
    return Error::badInput(what + ": " + base::validUtf8(e->message));
}

// Seconds since the epoch with an offset (minutes east of UTC) as ISO 8601, in that offset:
// 2024-03-10T12:00:00+02:00.
inline std::string isoDate(std::int64_t time, int offset) {
    const std::time_t local = std::time_t(time + std::int64_t(offset) * 60);
    std::tm tm{};
    gmtime_r(&local, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  offset < 0 ? '-' : '+', (std::abs(offset) / 60) % 100, std::abs(offset) % 60);
    return buf;
}

}  // namespace atelier::agents::git
