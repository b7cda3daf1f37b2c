#include "commit_details.h"

#include <QDateTime>
#include <QTimeZone>
#include <memory>

#include <git2.h>

namespace atelier::ui {
namespace {

template <typename T, void (*Free)(T*)>
struct GitFree {
    void operator()(T* p) const { Free(p); }
};
using RepoPtr = std::unique_ptr<git_repository, GitFree<git_repository, git_repository_free>>;
using ObjectPtr = std::unique_ptr<git_object, GitFree<git_object, git_object_free>>;
using CommitPtr = std::unique_ptr<git_commit, GitFree<git_commit, git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, GitFree<git_tree, git_tree_free>>;
using DiffPtr = std::unique_ptr<git_diff, GitFree<git_diff, git_diff_free>>;

// libgit2 is reference-counted: initialised for the length of one read.
struct GitLibrary {
    GitLibrary() { git_libgit2_init(); }
    ~GitLibrary() { git_libgit2_shutdown(); }
    GitLibrary(const GitLibrary&) = delete;
    GitLibrary& operator=(const GitLibrary&) = delete;
};

Error gitError(const QString& what) {
    const git_error* e = git_error_last();
    return Error::badInput((what + QStringLiteral(": ") +
                            QString::fromUtf8(e && e->message ? e->message : "unknown libgit2 error")).toStdString());
}

QString signatureDate(const git_signature* s) {
    const QDateTime t = QDateTime::fromSecsSinceEpoch(s->when.time, QTimeZone(s->when.offset * 60));
    return t.toString(Qt::ISODate);
}

struct PatchSink {
    QByteArray bytes;
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
        sink->bytes.append(origin);
    sink->bytes.append(line->content, qsizetype(line->content_len));
    return 0;
}

Result<QString> patchText(git_repository* repo, git_commit* commit, bool& truncated) {
    TreePtr tree, parentTree;
    git_tree* raw = nullptr;
    if (git_commit_tree(&raw, commit) != 0) return unexpected(gitError(QStringLiteral("reading the commit's tree")));
    tree.reset(raw);
    if (git_commit_parentcount(commit) > 0) {
        git_commit* parent = nullptr;
        if (git_commit_parent(&parent, commit, 0) != 0) return unexpected(gitError(QStringLiteral("reading the parent")));
        CommitPtr parentPtr(parent);
        if (git_commit_tree(&raw, parent) != 0) return unexpected(gitError(QStringLiteral("reading the parent's tree")));
        parentTree.reset(raw);
    }
    git_diff* diff = nullptr;
    if (git_diff_tree_to_tree(&diff, repo, parentTree.get(), tree.get(), nullptr) != 0)
        return unexpected(gitError(QStringLiteral("diffing the commit")));
    DiffPtr diffPtr(diff);
    git_diff_find_similar(diff, nullptr);
    PatchSink sink;
    git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, appendLine, &sink);
    truncated = sink.truncated;
    return QString::fromUtf8(sink.bytes);
}

}  // namespace

Result<CommitDetails> commitDetails(const QString& repository, const QString& revision) {
    GitLibrary library;
    const QString rev = revision.isEmpty() ? QStringLiteral("HEAD") : revision;
    git_repository* rawRepo = nullptr;
    if (git_repository_open_ext(&rawRepo, repository.toUtf8().constData(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0)
        return unexpected(gitError(QStringLiteral("opening repository '%1'").arg(repository)));
    RepoPtr repo(rawRepo);
    git_object* object = nullptr;
    if (git_revparse_single(&object, repo.get(), rev.toUtf8().constData()) != 0)
        return unexpected(gitError(QStringLiteral("revision '%1' in '%2'").arg(rev, repository)));
    ObjectPtr objectPtr(object);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, object, GIT_OBJECT_COMMIT) != 0)
        return unexpected(gitError(QStringLiteral("'%1' in '%2' is not a commit").arg(rev, repository)));
    CommitPtr commit(reinterpret_cast<git_commit*>(peeled));

    CommitDetails d;
    char hex[GIT_OID_HEXSZ + 1] = {};
    git_oid_tostr(hex, sizeof hex, git_commit_id(commit.get()));
    d.id = QString::fromLatin1(hex);
    const git_signature* author = git_commit_author(commit.get());
    d.author = QStringLiteral("%1 <%2>").arg(QString::fromUtf8(author->name), QString::fromUtf8(author->email));
    d.date = signatureDate(author);
    d.message = QString::fromUtf8(git_commit_message(commit.get())).trimmed();
    auto patch = patchText(repo.get(), commit.get(), d.truncated);
    if (!patch) return unexpected(patch.error());
    d.patch = *patch;
    return d;
}

}  // namespace atelier::ui
