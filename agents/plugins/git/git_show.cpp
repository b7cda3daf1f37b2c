// git_show: one commit: message, author, date, parents, changed files and its diff against the
// first parent (paged with `offset`).

#include "git_diff_text.h"
#include "git_repo.h"
#include "git_text.h"
#include "git_tools.h"

namespace atelier::agents::git {
namespace {

class GitShow final : public Tool {
public:
    std::string name() const override { return "git_show"; }
    std::string description() const override {
        return "Show one commit: message, author, date, changed files and its diff (paged).";
    }
    nlohmann::json parameters() const override {
        return {{"type", "object"},
                {"properties",
                 {{"repo", {{"type", "string"}, {"description", "Repository folder (default: the workspace)"}}},
                  {"rev", {{"type", "string"}, {"description", "The commit (default HEAD)"}}},
                  {"offset", {{"type", "integer"}, {"minimum", 0}, {"description", "Byte offset into the diff (paging)"}}}}},
                {"additionalProperties", false}};
    }
    std::uint32_t capabilities() const override { return std::uint32_t(Capability::ReadFiles); }

    Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const override {
        GitLibrary lib;
        auto repo = openRepo(args, ctx);
        if (!repo) return unexpected(repo.error());
        auto commit = resolveCommit(repo->repo.get(), args.value("rev", std::string("HEAD")));
        if (!commit) return unexpected(commit.error());
        git_commit* c = commit->get();
        git_tree* tree = nullptr;
        if (git_commit_tree(&tree, c) != 0) return unexpected(gitError("cannot read the commit's tree"));
        TreePtr ownTree(tree);
        TreePtr parentTree;
        nlohmann::json parents = nlohmann::json::array();
        for (unsigned i = 0; i < git_commit_parentcount(c); ++i)
            parents.push_back(oidHex(git_commit_parent_id(c, i)));
        if (git_commit_parentcount(c) > 0) {
            git_commit* parent = nullptr;
            git_tree* pt = nullptr;
            if (git_commit_parent(&parent, c, 0) != 0) return unexpected(gitError("cannot read the parent"));
            CommitPtr ownParent(parent);
            if (git_commit_tree(&pt, parent) != 0) return unexpected(gitError("cannot read the parent's tree"));
            parentTree.reset(pt);
        }
        auto page = diffTrees(repo->repo.get(), parentTree.get(), tree, {}, args.value("offset", std::size_t(0)),
                              [&](const std::string& p) { return withheldReason(*repo, p, ctx); });
        if (!page) return unexpected(page.error());

        auto info = commitJson(c);
        const std::string message = commitMessage(c);
        ToolResult r;
        r.text = "commit " + info["id"].get<std::string>() + "\nAuthor: " + info["author"].get<std::string>() +
                 " <" + info["email"].get<std::string>() + ">\nDate:   " + info["date"].get<std::string>() +
                 "\n\n" + message + (message.ends_with('\n') ? "" : "\n") + "\n";
        for (const auto& f : page->files)
            r.text += f["status"].get<std::string>() + "\t" +
                      (f.contains("old_path") ? f["old_path"].get<std::string>() + " -> " : "") +
                      f["path"].get<std::string>() + (f.contains("withheld") ? "\t(content withheld)" : "") + "\n";
        r.text += "\n" + page->patch;
        info["message"] = message;
        info["parents"] = parents;
        info["files"] = page->files;
        info["diff"] = page->patch;
        info["diff_bytes"] = page->totalBytes;
        info["repo"] = repo->shown;
        r.data = std::move(info);
        r.sources.push_back(gitSource(*repo, git_commit_id(c)));
        if (page->nextOffset) {
            r.truncated = true;
            r.next = args;
            r.next["offset"] = page->nextOffset;
            r.text += "[diff continues: offset " + std::to_string(page->nextOffset) + " of " +
                      std::to_string(page->totalBytes) + " bytes]\n";
        }
        return r;
    }
};

}  // namespace

std::unique_ptr<Tool> makeGitShow() { return std::make_unique<GitShow>(); }

}  // namespace atelier::agents::git
