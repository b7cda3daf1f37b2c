#pragma once
// A libgit2 diff as the tools show it: the changed files (with renames found) and the patch
// text, one page at a time, between trees, the index and the working tree, with `git diff`'s
// defaults (rename detection, the indent heuristic).

#include <functional>
#include <string>

#include <git2.h>
#include <nlohmann/json.hpp>

#include "atelier/base/result.h"

namespace atelier::agents::git {

// Why the content of a file at `path` (as a tree names it) must not be shown, or "" when it
// may be: the policy's denied patterns apply to history as to the work tree.
using WithholdCheck = std::function<std::string(const std::string& path)>;

struct DiffPage {
    nlohmann::json files = nlohmann::json::array();  // [{"status", "path", "old_path"?, "withheld"?}]
    std::string patch;          // bytes [offset, offset + kMaxDiffBytes) of the patch, cut at a line
    std::size_t offset = 0;
    std::size_t nextOffset = 0; // 0 when the patch is complete
    std::size_t totalBytes = 0; // of the whole patch (at most kMaxDiffTotalBytes)
};

// Diffs `oldTree` (may be null: an empty tree) against `newTree`, limited to `path` when not
// empty, with renames detected. Text is made valid UTF-8. A file whose old or new path
// `withhold` names keeps its line in `files` (with "withheld": the reason) but its patch is
// replaced by one line saying why; `withhold` is asked only about files the patch reaches.
Result<DiffPage> diffTrees(git_repository* repo, git_tree* oldTree, git_tree* newTree,
                           const std::string& path, std::size_t offset, const WithholdCheck& withhold);

// As diffTrees, from `oldTree` to the working tree as `git diff REV` shows it, or from the index
// when `oldTree` is null (`git diff`). Untracked files are not shown; the index is not written.
Result<DiffPage> diffWorkdir(git_repository* repo, git_tree* oldTree, const std::string& path,
                             std::size_t offset, const WithholdCheck& withhold);

// As diffTrees, from `oldTree` (null: an empty tree) to the index: `git diff --cached REV`.
Result<DiffPage> diffIndex(git_repository* repo, git_tree* oldTree, const std::string& path,
                           std::size_t offset, const WithholdCheck& withhold);

}  // namespace atelier::agents::git
