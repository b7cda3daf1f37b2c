#pragma once
// History as `git` reads it. A shallow clone's boundary commits (listed in the `shallow` file)
// have no parents, as `git log` and `git blame` treat them; an object that should be there and
// is not (a partial clone's unfetched blob, a damaged repository) is an error naming the object
// and what needed it, never a silent gap in the answer.
// Threads: one History per tool call (it borrows the repository handle).

#include <set>
#include <string>
#include <vector>

#include "git_repo.h"

namespace atelier::agents::git {

class History {
public:
    // Reads the repository's `shallow` file and whether it is a partial clone.
    static Result<History> open(git_repository* repo);

    git_repository* repo() const { return m_repo; }
    bool isShallowBoundary(const git_oid& id) const;
    // The parents `git` walks: none for a shallow boundary commit.
    std::vector<git_oid> parents(const git_commit* commit) const;

    // Lookups whose failure names the object and `what` needed it ("the parent of 1a2b3c").
    Result<CommitPtr> commit(const git_oid& id, const std::string& what) const;
    Result<TreePtr> tree(const git_commit* commit) const;
    Result<BlobPtr> blob(const git_oid& id, const std::string& what) const;
    // The error for an object that is not in the repository.
    Error missing(const std::string& kind, const git_oid& id, const std::string& what) const;

private:
    explicit History(git_repository* repo) : m_repo(repo) {}
    git_repository* m_repo;
    std::set<std::string> m_shallow;  // hex ids of the boundary commits
    bool m_partial = false;           // a promisor remote may hold objects not fetched yet
};

}  // namespace atelier::agents::git
