// git_diff: the changes between two revisions, optionally under one path (paged with `offset`).

#include "git_diff_text.h"
#include "git_repo.h"
#include "git_text.h"
#include "git_tools.h"

namespace atelier::agents::git {
namespace {

Result<TreePtr> treeOf(git_repository* repo, const std::string& rev) {
    auto commit = resolveCommit(repo, rev);
    if (!commit) return unexpected(commit.error());
    git_tree* tree = nullptr;
    if (git_commit_tree(&tree, commit->get()) != 0) return unexpected(gitError("cannot read the tree of '" + rev + "'"));
    return TreePtr(tree);
}

class GitDiff final : public Tool {
public:
    std::string name() const override { return "git_diff"; }
    std::string description() const override {
        return "The diff between two revisions (from → to), optionally limited to a path; paged.";
    }
    nlohmann::json parameters() const override {
        auto str = [](const char* d) { return nlohmann::json{{"type", "string"}, {"description", d}}; };
        return {{"type", "object"},
                {"properties",
                 {{"repo", str("Repository folder (default: the workspace)")},
                  {"from", str("The old revision")},
                  {"to", str("The new revision (default HEAD)")},
                  {"path", str("Only changes under this path (relative to the repository)")},
                  {"offset", {{"type", "integer"}, {"minimum", 0}, {"description", "Byte offset into the diff (paging)"}}}}},
                {"required", {"from"}},
                {"additionalProperties", false}};
    }
    std::uint32_t capabilities() const override { return std::uint32_t(Capability::ReadFiles); }

    Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const override {
        GitLibrary lib;
        auto repo = openRepo(args, ctx);
        if (!repo) return unexpected(repo.error());
        const std::string path = args.value("path", std::string());
        if (auto ok = checkTreePath(*repo, path, ctx); !ok) return unexpected(ok.error());
        const std::string from = args.at("from").get<std::string>();
        const std::string to = args.value("to", std::string("HEAD"));
        auto fromCommit = resolveCommit(repo->repo.get(), from);
        if (!fromCommit) return unexpected(fromCommit.error());
        auto toCommit = resolveCommit(repo->repo.get(), to);
        if (!toCommit) return unexpected(toCommit.error());
        auto oldTree = treeOf(repo->repo.get(), from);
        if (!oldTree) return unexpected(oldTree.error());
        auto newTree = treeOf(repo->repo.get(), to);
        if (!newTree) return unexpected(newTree.error());
        auto page = diffTrees(repo->repo.get(), oldTree->get(), newTree->get(), path,
                              args.value("offset", std::size_t(0)),
                              [&](const std::string& p) { return withheldReason(*repo, p, ctx); });
        if (!page) return unexpected(page.error());

        const std::string fromId = oidHex(git_commit_id(fromCommit->get()));
        const std::string toId = oidHex(git_commit_id(toCommit->get()));
        ToolResult r;
        r.text = "diff " + fromId.substr(0, 12) + ".." + toId.substr(0, 12) + "\n";
        for (const auto& f : page->files)
            r.text += f["status"].get<std::string>() + "\t" +
                      (f.contains("old_path") ? f["old_path"].get<std::string>() + " -> " : "") +
                      f["path"].get<std::string>() + (f.contains("withheld") ? "\t(content withheld)" : "") + "\n";
        if (page->files.empty()) r.text += "(no changes)\n";
        r.text += "\n" + page->patch;
        r.data = {{"repo", repo->shown}, {"from", fromId}, {"to", toId}, {"files", page->files},
                  {"diff", page->patch}, {"diff_bytes", page->totalBytes}};
        r.sources.push_back(gitSource(*repo, git_commit_id(fromCommit->get()), path));
        r.sources.push_back(gitSource(*repo, git_commit_id(toCommit->get()), path));
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
