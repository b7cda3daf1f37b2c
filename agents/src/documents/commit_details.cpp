// commitDetails (document_service.h) over libgit2.

#include <git2.h>

#include "atelier/agents/document_service.h"
#include "atelier/base/utf8.h"
#include "libgit2_handles.h"

namespace atelier::agents {
namespace fs = std::filesystem;
namespace {

using git::CommitPtr;
using git::DiffPtr;
using git::GitLibrary;
using git::gitError;
using git::ObjectPtr;
using git::RepoPtr;
using git::TreePtr;

std::string text(const char* s) { return base::validUtf8(s ? s : ""); }

std::string trimmed(const std::string& s) {
    const char* space = " \t\n\r\f\v";
    const auto first = s.find_first_not_of(space);
    if (first == std::string::npos) return {};
    return s.substr(first, s.find_last_not_of(space) - first + 1);
}

struct PatchSink {
    std::string bytes;
    bool truncated = false;
};

int appendLine(const git_diff_delta*, const git_diff_hunk*, const git_diff_line* line, void* payload) {
    auto* sink = static_cast<PatchSink*>(payload);
    if (sink->bytes.size() >= kMaxPatchBytes) {
        sink->truncated = true;
        return 1;  // stops the walk
    }
    const char origin = line->origin;
    if (origin == GIT_DIFF_LINE_CONTEXT || origin == GIT_DIFF_LINE_ADDITION || origin == GIT_DIFF_LINE_DELETION)
        sink->bytes.push_back(origin);
    sink->bytes.append(line->content, line->content_len);
    return 0;
}

Result<PatchSink> patchText(git_repository* repo, git_commit* commit) {
    git_tree* raw = nullptr;
    if (git_commit_tree(&raw, commit) != 0) return unexpected(gitError("reading the commit's tree"));
    TreePtr tree(raw);
    TreePtr parentTree;
    if (git_commit_parentcount(commit) > 0) {
        git_commit* parent = nullptr;
        if (git_commit_parent(&parent, commit, 0) != 0) return unexpected(gitError("reading the parent"));
        CommitPtr parentPtr(parent);
        if (git_commit_tree(&raw, parent) != 0) return unexpected(gitError("reading the parent's tree"));
        parentTree.reset(raw);
    }
    git_diff* diff = nullptr;
    if (git_diff_tree_to_tree(&diff, repo, parentTree.get(), tree.get(), nullptr) != 0)
        return unexpected(gitError("diffing the commit"));
    DiffPtr diffPtr(diff);
    if (git_diff_find_similar(diff, nullptr) != 0) return unexpected(gitError("finding renames"));
    PatchSink sink;
    const int printed = git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, appendLine, &sink);
    if (printed != 0 && !sink.truncated) return unexpected(gitError("printing the patch"));
    return sink;
}

}  // namespace

Result<CommitDetails> commitDetails(const fs::path& repository, const std::string& revision) {
    GitLibrary library;
    const std::string repo = base::validUtf8(repository.string());
    const std::string rev = revision.empty() ? "HEAD" : revision;
    const std::string where = "revision '" + base::validUtf8(rev) + "' in '" + repo + "'";
    git_repository* rawRepo = nullptr;
    if (git_repository_open_ext(&rawRepo, repository.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0)
        return unexpected(gitError("opening repository '" + repo + "'"));
    RepoPtr repoPtr(rawRepo);
    git_object* object = nullptr;
    if (git_revparse_single(&object, repoPtr.get(), rev.c_str()) != 0) return unexpected(gitError(where));
    ObjectPtr objectPtr(object);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, object, GIT_OBJECT_COMMIT) != 0)
        return unexpected(gitError(where + " is not a commit"));
    CommitPtr commit(reinterpret_cast<git_commit*>(peeled));

    CommitDetails d;
    char hex[GIT_OID_HEXSZ + 1] = {};
    git_oid_tostr(hex, sizeof hex, git_commit_id(commit.get()));
    d.id = hex;
    const git_signature* author = git_commit_author(commit.get());
    d.author = text(author->name) + " <" + text(author->email) + ">";
    d.date = git::isoDate(author->when.time, author->when.offset);
    d.message = trimmed(text(git_commit_message(commit.get())));
    auto patch = patchText(repoPtr.get(), commit.get());
    if (!patch) {
        Error e = patch.error();
        e.message = where + ": " + e.message;
        return unexpected(std::move(e));
    }
    d.patch = base::validUtf8(patch->bytes);
    d.truncated = patch->truncated;
    return d;
}

}  // namespace atelier::agents
