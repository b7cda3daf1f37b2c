#pragma once
// Line attribution as `git blame` computes it (blame.c without -M/-C): lines start suspected
// on the final commit; each suspect passes the lines it did not change to its parents, parent
// by parent (a merge passes unchanged lines to the first parent that has them), following a
// rename when the path is new in a parent; a commit without parents, or a shallow clone's
// boundary commit, keeps what is left as a boundary. Diffs use xdiff with git's defaults (Myers
// with the indent heuristic). Every object read is checked: a missing commit, tree or blob is
// an error naming it, so a partial answer is never given as a whole one.
// Threads: any; one call at a time per History.

#include <string>
#include <vector>

#include "git_history.h"

namespace atelier::agents::git {

struct BlamedLine {
    git_oid commit{};      // the commit that last changed the line
    std::string origPath;  // the path in that commit (differs after a rename)
    int origLine = 0;      // 1-based line number in that commit's file
    bool boundary = false; // the commit has no parents (a root, or a shallow clone's boundary)
};

// Blames lines [first, last] (1-based, inclusive) of `path` at `start`, whose content is
// `content`. At most `maxSteps` commits are examined; more is an Overflow error.
Result<std::vector<BlamedLine>> blameLines(const History& history, git_commit* start, const std::string& path,
                                           const std::string& content, int first, int last, int maxSteps);

}  // namespace atelier::agents::git
