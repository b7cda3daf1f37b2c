// git_diff: the changes between two revisions, or in the working tree or the index as `git diff`
// and `git diff --cached` show them, optionally under one path (paged with `offset`).

#include <filesystem>

#include "git_diff_text.h"
#include "git_repo.h"
#include "git_text.h"
#include "git_tools.h"

namespace atelier::agents::git {
namespace {

Result<TreePtr> treeOf(git_commit* commit, const std::string& rev) {
    git_tree* tree = nullptr;
    if (git_commit_tree(&tree, commit) != 0) return unexpected(gitError("cannot read the tree of '" + rev + "'"));
    return TreePtr(tree);
}

// The working tree libgit2 would read must be the granted folder: `core.worktree` may name any
// other folder.
Result<void> checkWorkdir(const OpenedRepo& repo) {
    const char* workdir = git_repository_workdir(repo.repo.get());
    if (!workdir)
        return unexpected(Error::badInput("repository '" + repo.shown + "' is bare: it has no working tree or index"));
    std::error_code ec;
    const auto real = std::filesystem::weakly_canonical(std::filesystem::path(workdir), ec);
    const auto root = std::filesystem::weakly_canonical(repo.root, ec);
    if (real.lexically_normal() != root.lexically_normal() &&
        real.lexically_normal() != (root / "").lexically_normal())
        return unexpected(ErrorCode::Denied, "repository '" + repo.shown + "': its working tree is '" +
                                                       std::string(workdir) + "' (core.worktree), not the repository folder");
    return {};
}

class GitDiff final : public Tool {
public:
    std::string name() const override { return "git_diff"; }
    std::string description() const override {
        return "A diff as `git diff` shows it, optionally limited to a path; paged. Between two "
               "revisions (from → to, `git diff FROM TO`); with worktree: the working tree against the "
               "index, or against `from` (`git diff [FROM]`); with staged: the index against `from`, "
               "default HEAD (`git diff --cached [FROM]`).";
    }
    nlohmann::json parameters() const override {
        auto str = [](const char* d) { return nlohmann::json{{"type", "string"}, {"description", d}}; };
        return {{"type", "object"},
                {"properties",
                 {{"repo", str("Repository folder (default: the workspace)")},
                  {"from", str("The old revision (required unless worktree or staged)")},
                  {"to", str("The new revision (default HEAD); not with worktree or staged")},
                  {"worktree", {{"type", "boolean"}, {"description", "Diff the working tree (uncommitted changes)"}}},
                  {"staged", {{"type", "boolean"}, {"description", "Diff the index (staged changes)"}}},
                  {"path", str("Only changes under this path (relative to the repository)")},
                  {"offset", {{"type", "integer"}, {"minimum", 0}, {"description", "Byte offset into the diff (paging)"}}}}},
                {"additionalProperties", false}};
    }
    std::uint32_t capabilities() const override { return std::uint32_t(Capability::ReadFiles); }

    Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const override {
        const bool worktree = args.value("worktree", false);
        const bool staged = args.value("staged", false);
        if (worktree && staged)
            return unexpected(Error::usage("worktree and staged exclude each other (`git diff HEAD` shows both)"));
        if ((worktree || staged) && args.contains("to"))
            return unexpected(Error::usage("'to' names a revision; with worktree or staged the new side is "
                                           "the working tree or the index"));
        if (!worktree && !staged && !args.contains("from"))
            return unexpected(Error::usage("'from' is required to diff two revisions (or set worktree or staged)"));
        GitLibrary lib;
        auto repo = openRepo(args, ctx);
        if (!repo) return unexpected(repo.error());
        const std::string path = args.value("path", std::string());
        if (auto ok = checkTreePath(*repo, path, ctx); !ok) return unexpected(ok.error());
        git_repository* raw = repo->repo.get();
        const std::size_t offset = args.value("offset", std::size_t(0));
        const WithholdCheck withhold = [&](const std::string& p) { return withheldReason(*repo, p, ctx); };

        // The old side: a revision, or (worktree without `from`) the index; an unborn HEAD is an
        // empty tree for `git diff --cached`.
        std::string from = args.value("from", std::string(staged ? "HEAD" : ""));
        CommitPtr fromCommit;
        TreePtr oldTree;
        if (!from.empty() && !(staged && !args.contains("from") && git_repository_head_unborn(raw) == 1)) {
            auto c = resolveCommit(raw, from);
            if (!c) return unexpected(c.error());
            auto t = treeOf(c->get(), from);
            if (!t) return unexpected(t.error());
            fromCommit = std::move(*c);
            oldTree = std::move(*t);
        }
        CommitPtr toCommit;
        Result<DiffPage> page = DiffPage{};
        if (worktree || staged) {
            if (auto ok = checkWorkdir(*repo); !ok) return unexpected(ok.error());
            page = worktree ? diffWorkdir(raw, oldTree.get(), path, offset, withhold)
                            : diffIndex(raw, oldTree.get(), path, offset, withhold);
        } else {
            const std::string to = args.value("to", std::string("HEAD"));
            auto c = resolveCommit(raw, to);
            if (!c) return unexpected(c.error());
            auto newTree = treeOf(c->get(), to);
            if (!newTree) return unexpected(newTree.error());
            toCommit = std::move(*c);
            page = diffTrees(raw, oldTree.get(), newTree->get(), path, offset, withhold);
        }
        if (!page) return unexpected(page.error());

        const std::string fromId = fromCommit ? oidHex(git_commit_id(fromCommit.get())) : std::string();
        const std::string toId = toCommit ? oidHex(git_commit_id(toCommit.get())) : std::string();
        const std::string fromName = fromCommit ? fromId.substr(0, 12) : oldTree ? from : staged ? "(empty)" : "(index)";
        const std::string toName = toCommit ? toId.substr(0, 12) : worktree ? "(working tree)" : "(index)";
        ToolResult r;
        r.text = "diff " + fromName + ".." + toName + "\n";
        for (const auto& f : page->files)
            r.text += f["status"].get<std::string>() + "\t" +
                      (f.contains("old_path") ? f["old_path"].get<std::string>() + " -> " : "") +
                      f["path"].get<std::string>() + (f.contains("withheld") ? "\t(content withheld)" : "") + "\n";
        if (page->files.empty()) r.text += "(no changes)\n";
        r.text += "\n" + page->patch;
        r.data = {{"repo", repo->shown},
                  {"from", fromCommit ? fromId : staged ? "" : "index"},
                  {"to", toCommit ? toId : worktree ? "worktree" : "index"},
                  {"files", page->files},
                  {"diff", page->patch},
                  {"diff_bytes", page->totalBytes}};
        if (fromCommit) r.sources.push_back(gitSource(*repo, git_commit_id(fromCommit.get()), path));
        if (toCommit) r.sources.push_back(gitSource(*repo, git_commit_id(toCommit.get()), path));
        if (page->nextOffset) {
            r.truncated = true;
            r.next = args;
            r.next["offset"] = page->nextOffset;
            r.text += "[diff continues: offset " + std::to_string(page->nextOffset) + "]\n";
        }
        return r;
    }
};

}  // namespace

std::unique_ptr<Tool> makeGitDiff() { return std::make_unique<GitDiff>(); }

}  // namespace atelier::agents::git
