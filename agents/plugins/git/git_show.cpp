// git_show: one commit: message, author, date, parents, changed files and its diff against the
// first parent (paged with `offset`).

#include "git_diff_text.h"
#include "git_history.h"
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
        auto history = History::open(repo->repo.get());
        if (!history) return unexpected(history.error());
        auto tree = history->tree(c);
        if (!tree) return unexpected(tree.error());
        // A shallow clone's boundary commit is shown as `git show` shows it: without parents, its
        // diff against the empty tree.
        TreePtr parentTree;
        nlohmann::json parents = nlohmann::json::array();
        const auto parentIds = history->parents(c);
        for (const auto& id : parentIds) parents.push_back(oidHex(&id));
        if (!parentIds.empty()) {
            auto parent = history->commit(parentIds.front(), "the first parent of " + shortId(git_commit_id(c)));
            if (!parent) return unexpected(parent.error());
            auto pt = history->tree(parent->get());
            if (!pt) return unexpected(pt.error());
            parentTree = std::move(*pt);
        }
        auto page = diffTrees(repo->repo.get(), parentTree.get(), tree->get(), {}, args.value("offset", std::size_t(0)),
                              [&](const std::string& p) { return withheldReason(*repo, p, ctx); });
        if (!page) return unexpected(page.error());

        auto info = commitJson(c);
        const std::string message = commitMessage(c);
        ToolResult r;
        // As `git show` prints it (the author and the author date), with the committer after it
        // where it differs, as `--format=fuller` would show.
        auto field = [&](const char* key) { return info[key].get<std::string>(); };
        r.text = "commit " + field("id") + "\nAuthor: " + field("author") + " <" + field("email") + ">\nDate:   " +
                 field("date") + "\n";
        if (field("committer") != field("author") || field("committer_email") != field("email"))
            r.text += "Commit: " + field("committer") + " <" + field("committer_email") + ">\n";
        if (field("committer_date") != field("date")) r.text += "CommitDate: " + field("committer_date") + "\n";
        r.text += "\n" + message + (message.ends_with('\n') ? "" : "\n") + "\n";
        for (const auto& f : page->files)
            r.text += f["status"].get<std::string>() + "\t" +
                      (f.contains("old_path") ? f["old_path"].get<std::string>() + " -> " : "") +
                      f["path"].get<std::string>() + (f.contains("withheld") ? "\t(content withheld)" : "") + "\n";
        r.text += "\n" + page->patch;
        info["message"] = message;
        info["parents"] = parents;
        if (history->isShallowBoundary(*git_commit_id(c))) info["shallow_boundary"] = true;
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
