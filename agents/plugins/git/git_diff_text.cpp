// A libgit2 diff as changed files and a paged patch (see git_diff_text.h).

#include "git_diff_text.h"

#include "atelier/base/utf8.h"
#include "git_repo.h"
#include "git_text.h"
#include "git_tools.h"

namespace atelier::agents::git {
namespace {

const char* statusName(git_delta_t status) {
    switch (status) {
    case GIT_DELTA_ADDED: return "added";
    case GIT_DELTA_DELETED: return "deleted";
    case GIT_DELTA_MODIFIED: return "modified";
    case GIT_DELTA_RENAMED: return "renamed";
    case GIT_DELTA_COPIED: return "copied";
    case GIT_DELTA_TYPECHANGE: return "typechange";
    default: return "changed";
    }
}

int appendLine(const git_diff_delta*, const git_diff_hunk*, const git_diff_line* line, void* payload) {
    auto* out = static_cast<std::string*>(payload);
    if (out->size() >= kMaxDiffTotalBytes) return 1;  // stop: the rest is not shown anyway
    if (line->origin == GIT_DIFF_LINE_CONTEXT || line->origin == GIT_DIFF_LINE_ADDITION ||
        line->origin == GIT_DIFF_LINE_DELETION)
        out->push_back(line->origin);
    out->append(line->content, line->content_len);
    return 0;
}

// Options as `git diff` has them by default: the indent heuristic, and `path` as a pathspec.
// `spec` must outlive the options.
git_diff_options diffOptions(const std::string& path, char*& spec) {
    git_diff_options options = GIT_DIFF_OPTIONS_INIT;
    options.flags |= GIT_DIFF_INDENT_HEURISTIC;
    spec = const_cast<char*>(path.c_str());
    if (!path.empty()) {
        options.pathspec.strings = &spec;
        options.pathspec.count = 1;
    }
    return options;
}

Result<DiffPage> pageOf(git_diff* raw, std::size_t offset, const WithholdCheck& withhold);

}  // namespace

Result<DiffPage> diffTrees(git_repository* repo, git_tree* oldTree, git_tree* newTree,
                           const std::string& path, std::size_t offset, const WithholdCheck& withhold) {
    char* spec = nullptr;
    const git_diff_options options = diffOptions(path, spec);
    git_diff* raw = nullptr;
    if (git_diff_tree_to_tree(&raw, repo, oldTree, newTree, &options) != 0)
        return unexpected(gitError("cannot diff"));
    return pageOf(raw, offset, withhold);
}

Result<DiffPage> diffWorkdir(git_repository* repo, git_tree* oldTree, const std::string& path,
                             std::size_t offset, const WithholdCheck& withhold) {
    char* spec = nullptr;
    const git_diff_options options = diffOptions(path, spec);
    git_diff* raw = nullptr;
    const int rc = oldTree ? git_diff_tree_to_workdir_with_index(&raw, repo, oldTree, &options)
                           : git_diff_index_to_workdir(&raw, repo, nullptr, &options);
    if (rc != 0) return unexpected(gitError("cannot diff the working tree"));
    return pageOf(raw, offset, withhold);
}

Result<DiffPage> diffIndex(git_repository* repo, git_tree* oldTree, const std::string& path,
                           std::size_t offset, const WithholdCheck& withhold) {
    char* spec = nullptr;
    const git_diff_options options = diffOptions(path, spec);
    git_diff* raw = nullptr;
    if (git_diff_tree_to_index(&raw, repo, oldTree, nullptr, &options) != 0)
        return unexpected(gitError("cannot diff the index"));
    return pageOf(raw, offset, withhold);
}

namespace {

Result<DiffPage> pageOf(git_diff* raw, std::size_t offset, const WithholdCheck& withhold) {
    DiffPtr diff(raw);
    git_diff_find_options find = GIT_DIFF_FIND_OPTIONS_INIT;
    find.flags = GIT_DIFF_FIND_RENAMES;
    if (git_diff_find_similar(diff.get(), &find) != 0) return unexpected(gitError("cannot find renames"));

    DiffPage page;
    for (std::size_t i = 0; i < git_diff_num_deltas(diff.get()); ++i) {
        const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
        nlohmann::json f = {{"status", statusName(d->status)},
                            {"path", base::validUtf8(d->new_file.path ? d->new_file.path : "")}};
        if (d->status == GIT_DELTA_RENAMED || d->status == GIT_DELTA_COPIED)
            f["old_path"] = base::validUtf8(d->old_file.path ? d->old_file.path : "");
        if (d->status == GIT_DELTA_DELETED) f["path"] = base::validUtf8(d->old_file.path ? d->old_file.path : "");
        page.files.push_back(std::move(f));
    }
    std::string patch;
    for (std::size_t i = 0; i < git_diff_num_deltas(diff.get()) && patch.size() < kMaxDiffTotalBytes; ++i) {
        const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
        const std::string oldPath = d->old_file.path ? d->old_file.path : "";
        const std::string newPath = d->new_file.path ? d->new_file.path : "";
        // A rename or copy shows the old content under a new name: both names are judged.
        std::string why = withhold(newPath);
        if (why.empty() && oldPath != newPath) why = withhold(oldPath);
        if (!why.empty()) {
            page.files[i]["withheld"] = base::validUtf8(why);
            patch += "diff --git a/" + oldPath + " b/" + newPath + "\n[content withheld: " + why + "]\n";
            continue;
        }
        git_patch* raw = nullptr;
        if (git_patch_from_diff(&raw, diff.get(), i) != 0) return unexpected(gitError("cannot diff '" + newPath + "'"));
        if (!raw) continue;  // an unchanged file has no patch
        PatchPtr filePatch(raw);
        const int rc = git_patch_print(raw, &appendLine, &patch);
        if (rc != 0 && rc != 1 && rc != GIT_EUSER) return unexpected(gitError("cannot print the diff"));
    }
    patch = base::validUtf8(patch);
    page.totalBytes = patch.size();
    page.offset = std::min(offset, patch.size());
    // Whole characters only, so that the next page starts on one.
    const std::string_view rest = std::string_view(patch).substr(page.offset);
    std::size_t end = page.offset + base::truncateUtf8(rest, kMaxDiffBytes).size();
    if (end < patch.size()) {
        const std::size_t nl = patch.rfind('\n', end);
        if (nl != std::string::npos && nl > page.offset) end = nl + 1;  // whole lines only
        page.nextOffset = end;
    }
    // A caller's offset may still fall inside a character: validUtf8 marks its remains.
    page.patch = base::validUtf8(rest.substr(0, end - page.offset));
    return page;
}

}  // namespace

}  // namespace atelier::agents::git
