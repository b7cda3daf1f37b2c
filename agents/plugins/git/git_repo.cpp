// libgit2 plumbing shared by the git tools (see git_repo.h).

#include "git_repo.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "atelier/base/utf8.h"
#include "git_storage.h"
#include "git_text.h"

namespace atelier::agents::git {

Result<OpenedRepo> openRepo(const nlohmann::json& args, const ToolContext& ctx) {
    const std::string requested = args.value("repo", std::string("."));
    auto path = ctx.resolve(requested, Access::Read);
    if (!path) return unexpected(path.error());
    std::error_code ec;
    if (!std::filesystem::is_directory(*path, ec))
        return unexpected(Error::notFound("repository '" + requested + "' is not a folder"));
    if (auto ok = checkGitLink(*path, requested, ctx); !ok) return unexpected(ok.error());
    git_repository* raw = nullptr;
    const std::string dir = path->string();
    // Without GIT_REPOSITORY_OPEN_FROM_ENV: GIT_DIR, GIT_OBJECT_DIRECTORY and
    // GIT_ALTERNATE_OBJECT_DIRECTORIES are never read.
    if (git_repository_open_ext(&raw, dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0)
        return unexpected(gitError("'" + requested + "' is not a git repository"));
    OpenedRepo r;
    r.repo.reset(raw);
    if (auto ok = checkObjectStorage(raw, *path, requested, ctx); !ok) return unexpected(ok.error());
    // The granted folder, not git_repository_workdir: `core.worktree` may name any folder.
    r.root = *path;
    const auto rel = path->lexically_relative(ctx.workspace());
    r.shown = (!rel.empty() && *rel.begin() != "..") ? rel.string() : path->string();
    return r;
}

Result<CommitPtr> resolveCommit(git_repository* repo, const std::string& rev) {
    git_object* obj = nullptr;
    if (git_revparse_single(&obj, repo, rev.c_str()) != 0) {
        if (git_repository_head_unborn(repo) == 1 || git_repository_is_empty(repo) == 1)
            return unexpected(Error::notFound("unknown revision '" + rev + "': the repository has no commits yet"));
        return unexpected(gitError("unknown revision '" + rev + "'"));
    }
    ObjectPtr owned(obj);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) != 0)
        return unexpected(gitError("revision '" + rev + "' is not a commit"));
    return CommitPtr(reinterpret_cast<git_commit*>(peeled));
}

Result<void> checkTreePath(const OpenedRepo& repo, const std::string& path, const ToolContext& ctx) {
    if (path.empty()) return {};
    const std::filesystem::path rel(path);
    if (rel.is_absolute() || rel.lexically_normal().string().starts_with(".."))
        return unexpected(Error::badInput("path '" + path + "' must be relative to the repository"));
    // Any refusal counts, not only Denied: an audit log that cannot record the decision
    // refuses too.
    auto allowed = ctx.resolve((repo.root / rel).string(), Access::Read);
    if (!allowed) return unexpected(ErrorCode::Denied, allowed.error().message);
    return {};
}

std::string withheldReason(const OpenedRepo& repo, const std::string& path, const ToolContext& ctx) {
    auto ok = checkTreePath(repo, path, ctx);
    return ok ? std::string() : ok.error().message;
}

std::string oidHex(const git_oid* oid) {
    char buf[GIT_OID_HEXSZ + 1];
    git_oid_tostr(buf, sizeof buf, oid);
    return buf;
}

std::string shortId(const git_oid* oid) { return oidHex(oid).substr(0, 12); }

std::string commitDate(const git_commit* commit) {
    return isoDate(git_commit_time(commit), git_commit_time_offset(commit));
}

std::string authorDate(const git_commit* commit) {
    const git_signature* author = git_commit_author(commit);
    return author ? isoDate(author->when.time, author->when.offset) : commitDate(commit);
}

nlohmann::json commitJson(const git_commit* commit) {
    const git_signature* author = git_commit_author(commit);
    const git_signature* committer = git_commit_committer(commit);
    const std::string message = commitMessage(commit);
    const std::string firstLine = message.substr(0, message.find('\n'));
    return {{"id", oidHex(git_commit_id(commit))},
            {"author", base::validUtf8(author && author->name ? author->name : "")},
            {"email", base::validUtf8(author && author->email ? author->email : "")},
            {"date", authorDate(commit)},
            {"committer", base::validUtf8(committer && committer->name ? committer->name : "")},
            {"committer_email", base::validUtf8(committer && committer->email ? committer->email : "")},
            {"committer_date", commitDate(commit)},
            {"summary", firstLine}};
}

SourceRef gitSource(const OpenedRepo& repo, const git_oid* commit, const std::string& path,
                    int firstLine, int lastLine) {
    SourceRef s;
    s.kind = "git";
    s.path = path.empty() ? repo.shown : repo.shown == "." ? path : repo.shown + "/" + path;
    s.firstLine = firstLine;
    s.lastLine = lastLine;
    s.commit = oidHex(commit);
    return s;
}

}  // namespace atelier::agents::git

namespace atelier::agents::git {

Result<std::string> readBlobAt(git_repository* repo, git_commit* commit, const std::string& path) {
    git_tree* tree = nullptr;
    if (git_commit_tree(&tree, commit) != 0) return unexpected(gitError("cannot read the tree"));
    TreePtr ownTree(tree);
    git_tree_entry* raw = nullptr;
    const std::string at = shortId(git_commit_id(commit));
    if (git_tree_entry_bypath(&raw, tree, path.c_str()) != 0)
        return unexpected(Error::notFound("'" + path + "' does not exist in " + at));
    EntryPtr entry(raw);
    if (git_tree_entry_type(raw) != GIT_OBJECT_BLOB)
        return unexpected(Error::badInput("'" + path + "' is a folder in " + at));
    git_blob* blob = nullptr;
    if (git_blob_lookup(&blob, repo, git_tree_entry_id(raw)) != 0)
        return unexpected(gitError("cannot read '" + path + "'"));
    BlobPtr ownBlob(blob);
    return std::string(static_cast<const char*>(git_blob_rawcontent(blob)), std::size_t(git_blob_rawsize(blob)));
}

}  // namespace atelier::agents::git
