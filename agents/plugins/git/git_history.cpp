// History as `git` reads it (see git_history.h).

#include "git_history.h"

#include <filesystem>
#include <fstream>

namespace atelier::agents::git {
namespace {

constexpr std::size_t kMaxShallowBytes = 64u * 1024 * 1024;  // a million boundary commits

bool isHexId(const std::string& s) {
    return s.size() == GIT_OID_HEXSZ && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Whether the configuration names a promisor remote (`git clone --filter` writes both keys).
bool isPartialClone(git_repository* repo) {
    git_config* raw = nullptr;
    if (git_repository_config_snapshot(&raw, repo) != 0) return false;
    std::unique_ptr<git_config, GitDeleter<git_config, git_config_free>> config(raw);
    git_buf value = GIT_BUF_INIT;
    if (git_config_get_string_buf(&value, raw, "extensions.partialclone") == 0) {
        git_buf_dispose(&value);
        return true;
    }
    git_error_clear();
    bool promisor = false;
    git_config_foreach_match(
        raw, "^remote\\..*\\.promisor$",
        [](const git_config_entry* e, void* payload) {
            int on = 0;
            if (git_config_parse_bool(&on, e->value) == 0 && on) *static_cast<bool*>(payload) = true;
            return 0;
        },
        &promisor);
    return promisor;
}

}  // namespace

Result<History> History::open(git_repository* repo) {
    History h(repo);
    // The storage checks (git_storage.h) made sure `shallow` is a regular file inside the grant.
    const std::filesystem::path file = std::filesystem::path(git_repository_commondir(repo)) / "shallow";
    std::error_code ec;
    if (std::filesystem::is_regular_file(file, ec)) {
        if (std::filesystem::file_size(file, ec) > kMaxShallowBytes)
            return unexpected(Error::badInput("the shallow file '" + file.string() + "' is too large"));
        std::ifstream in(file, std::ios::binary);
        std::string line;
        while (std::getline(in, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (isHexId(line)) h.m_shallow.insert(line);
        }
    }
    h.m_partial = isPartialClone(repo);
    return h;
}

bool History::isShallowBoundary(const git_oid& id) const { return m_shallow.count(oidHex(&id)) != 0; }

std::vector<git_oid> History::parents(const git_commit* commit) const {
    std::vector<git_oid> out;
    if (isShallowBoundary(*git_commit_id(commit))) return out;
    for (unsigned i = 0; i < git_commit_parentcount(commit); ++i) out.push_back(*git_commit_parent_id(commit, i));
    return out;
}

Error History::missing(const std::string& kind, const git_oid& id, const std::string& what) const {
    std::string msg = kind + " " + oidHex(&id) + " (" + what + ") is missing from the repository";
    if (m_partial)
        msg += ": the repository is a partial clone that never fetched it (`git blame` or `git fetch` "
               "there fetches missing objects)";
    else if (!m_shallow.empty())
        msg += ": it is a shallow clone";
    return {ErrorCode::NotFound, msg};
}

Result<CommitPtr> History::commit(const git_oid& id, const std::string& what) const {
    git_commit* raw = nullptr;
    const int rc = git_commit_lookup(&raw, m_repo, &id);
    if (rc == GIT_ENOTFOUND) return unexpected(missing("commit", id, what));
    if (rc != 0) return unexpected(gitError("cannot read commit " + oidHex(&id) + " (" + what + ")"));
    return CommitPtr(raw);
}

Result<TreePtr> History::tree(const git_commit* commit) const {
    git_tree* raw = nullptr;
    const int rc = git_tree_lookup(&raw, m_repo, git_commit_tree_id(commit));
    const std::string what = "the tree of commit " + shortId(git_commit_id(commit));
    if (rc == GIT_ENOTFOUND) return unexpected(missing("tree", *git_commit_tree_id(commit), what));
    if (rc != 0) return unexpected(gitError("cannot read " + what));
    return TreePtr(raw);
}

Result<BlobPtr> History::blob(const git_oid& id, const std::string& what) const {
    git_blob* raw = nullptr;
    const int rc = git_blob_lookup(&raw, m_repo, &id);
    if (rc == GIT_ENOTFOUND) return unexpected(missing("blob", id, what));
    if (rc != 0) return unexpected(gitError("cannot read blob " + oidHex(&id) + " (" + what + ")"));
    return BlobPtr(raw);
}

}  // namespace atelier::agents::git
