// Line attribution as `git blame` computes it (see git_line_blame.h).

#include "git_line_blame.h"

#include <map>
#include <memory>
#include <optional>
#include <queue>

#include "git_text.h"

namespace atelier::agents::git {
namespace {

// A file at one commit that is suspected of some lines.
struct Origin {
    CommitPtr commit;
    std::string path;
    git_oid blob{};
    std::optional<std::string> content;         // read on first use
    std::vector<std::pair<int, int>> suspects;   // (index into the result, 1-based line in `blob`)
    bool queued = false;
};

struct ParentFile {
    std::string path;
    git_oid blob{};
};

// For each line of `newText`, the line of `oldText` it is unchanged from, or 0 where it was
// added or changed (1-based; index 0 unused).
Result<std::vector<int>> unchangedLines(const std::string& oldText, const std::string& newText) {
    git_diff_options options = GIT_DIFF_OPTIONS_INIT;
    options.context_lines = 0;
    options.interhunk_lines = 0;
    options.flags = GIT_DIFF_FORCE_TEXT | GIT_DIFF_INDENT_HEURISTIC;
    std::vector<git_diff_hunk> hunks;
    auto onHunk = [](const git_diff_delta*, const git_diff_hunk* h, void* payload) {
        static_cast<std::vector<git_diff_hunk>*>(payload)->push_back(*h);
        return 0;
    };
    if (git_diff_buffers(oldText.data(), oldText.size(), nullptr, newText.data(), newText.size(), nullptr,
                         &options, nullptr, nullptr, onHunk, nullptr, &hunks) != 0)
        return unexpected(gitError("cannot diff two versions of a file"));
    const int newCount = int(splitLines(newText).size());
    std::vector<int> map(std::size_t(newCount) + 1, 0);
    int oldLine = 1, newLine = 1;
    for (const auto& h : hunks) {
        const int newFirst = h.new_lines ? h.new_start : h.new_start + 1;
        for (; newLine < newFirst && newLine <= newCount; ++newLine, ++oldLine) map[std::size_t(newLine)] = oldLine;
        newLine += h.new_lines;
        oldLine += h.old_lines;
    }
    for (; newLine <= newCount; ++newLine, ++oldLine) map[std::size_t(newLine)] = oldLine;
    return map;
}

class Blamer {
public:
    Blamer(const History& history, std::size_t lines, int maxSteps)
        : m_history(history), m_result(lines), m_maxSteps(maxSteps) {}

    Result<std::vector<BlamedLine>> run(git_commit* start, const std::string& path, const std::string& content,
                                        int first, int last) {
        git_commit* dup = nullptr;
        if (git_commit_dup(&dup, start) != 0) return unexpected(gitError("cannot copy the commit handle"));
        auto tree = m_history.tree(start);
        if (!tree) return unexpected(tree.error());
        git_tree_entry* raw = nullptr;
        if (git_tree_entry_bypath(&raw, tree->get(), path.c_str()) != 0)
            return unexpected(Error::notFound("'" + path + "' does not exist in " + shortId(git_commit_id(start))));
        EntryPtr entry(raw);
        Origin* o = intern(CommitPtr(dup), path, *git_tree_entry_id(raw));
        o->content = content;
        for (int line = first; line <= last; ++line) give(o, line - first, line);
        while (!m_queue.empty()) {
            Origin* next = m_queue.top().second;
            m_queue.pop();
            next->queued = false;
            if (next->suspects.empty()) continue;
            if (++m_steps > m_maxSteps)
                return unexpected(ErrorCode::Overflow, "blaming '" + path + "' examined more than " +
                                                           std::to_string(m_maxSteps) + " commits; blame fewer lines");
            if (auto ok = pass(*next); !ok) return unexpected(ok.error());
        }
        return std::move(m_result);
    }

private:
    using Key = std::pair<std::int64_t, std::int64_t>;  // (commit time, -order): newest first, then FIFO
    struct Later {
        bool operator()(const std::pair<Key, Origin*>& a, const std::pair<Key, Origin*>& b) const {
            return a.first < b.first;
        }
    };

    Origin* intern(CommitPtr commit, const std::string& path, const git_oid& blob) {
        const std::string key = oidHex(git_commit_id(commit.get())) + '\0' + path;
        auto& slot = m_origins[key];
        if (!slot) {
            slot = std::make_unique<Origin>();
            slot->commit = std::move(commit);
            slot->path = path;
            slot->blob = blob;
        }
        return slot.get();
    }

    void give(Origin* o, int index, int line) {
        o->suspects.emplace_back(index, line);
        if (o->queued) return;
        o->queued = true;
        m_queue.push({{git_commit_time(o->commit.get()), -std::int64_t(++m_order)}, o});
    }

    void settle(Origin& o, bool boundary) {
        for (const auto& [index, line] : o.suspects)
            m_result[std::size_t(index)] = {*git_commit_id(o.commit.get()), o.path, line, boundary};
        o.suspects.clear();
    }

    Result<const std::string*> contentOf(Origin& o) {
        if (!o.content) {
            auto blob = m_history.blob(o.blob, "'" + o.path + "' in commit " + shortId(git_commit_id(o.commit.get())));
            if (!blob) return unexpected(blob.error());
            o.content.emplace(static_cast<const char*>(git_blob_rawcontent(blob->get())),
                              std::size_t(git_blob_rawsize(blob->get())));
        }
        return &*o.content;
    }

    // Where `o`'s file is in `parent`: the same path, or the path it was renamed from.
    Result<std::optional<ParentFile>> findOrigin(const Origin& o, git_commit* parent) {
        auto parentTree = m_history.tree(parent);
        if (!parentTree) return unexpected(parentTree.error());
        git_tree_entry* raw = nullptr;
        if (git_tree_entry_bypath(&raw, parentTree->get(), o.path.c_str()) == 0) {
            EntryPtr entry(raw);
            if (git_tree_entry_type(raw) == GIT_OBJECT_BLOB) return std::optional<ParentFile>(ParentFile{o.path, *git_tree_entry_id(raw)});
        }
        git_error_clear();
        auto tree = m_history.tree(o.commit.get());
        if (!tree) return unexpected(tree.error());
        git_diff* rawDiff = nullptr;
        const std::string pair = "commit " + shortId(git_commit_id(o.commit.get())) + " and its parent " +
                                 shortId(git_commit_id(parent));
        if (git_diff_tree_to_tree(&rawDiff, m_history.repo(), parentTree->get(), tree->get(), nullptr) != 0)
            return unexpected(gitError("cannot compare " + pair));
        DiffPtr diff(rawDiff);
        // libgit2 skips a rename candidate whose blob it cannot read; git would have fetched it.
        git_odb* odb = nullptr;
        if (git_repository_odb(&odb, m_history.repo()) != 0) return unexpected(gitError("cannot open the object store"));
        std::unique_ptr<git_odb, GitDeleter<git_odb, git_odb_free>> ownOdb(odb);
        for (std::size_t i = 0; i < git_diff_num_deltas(diff.get()); ++i) {
            const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
            if (d->status == GIT_DELTA_DELETED && !git_odb_exists(odb, &d->old_file.id))
                return unexpected(m_history.missing(
                    "blob", d->old_file.id, "'" + std::string(d->old_file.path) + "' in commit " +
                                                shortId(git_commit_id(parent)) + ", a rename candidate"));
        }
        git_diff_find_options find = GIT_DIFF_FIND_OPTIONS_INIT;
        find.flags = GIT_DIFF_FIND_RENAMES;
        if (git_diff_find_similar(diff.get(), &find) != 0) return unexpected(gitError("cannot find renames between " + pair));
        for (std::size_t i = 0; i < git_diff_num_deltas(diff.get()); ++i) {
            const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
            if (d->status == GIT_DELTA_RENAMED && o.path == d->new_file.path)
                return std::optional<ParentFile>(ParentFile{d->old_file.path, d->old_file.id});
        }
        return std::optional<ParentFile>();
    }

    // Lines of `o` unchanged in `parent` become the parent's suspects.
    Result<void> passToParent(Origin& o, Origin& parent) {
        auto mine = contentOf(o);
        if (!mine) return unexpected(mine.error());
        auto theirs = contentOf(parent);
        if (!theirs) return unexpected(theirs.error());
        auto map = unchangedLines(**theirs, **mine);
        if (!map) return unexpected(map.error());
        std::vector<std::pair<int, int>> kept;
        for (const auto& [index, line] : o.suspects) {
            const int old = line < int(map->size()) ? (*map)[std::size_t(line)] : 0;
            if (old > 0) give(&parent, index, old);
            else kept.emplace_back(index, line);
        }
        o.suspects = std::move(kept);
        return {};
    }

    Result<void> pass(Origin& o) {
        const std::vector<git_oid> parents = m_history.parents(o.commit.get());
        if (parents.empty()) {
            settle(o, true);
            return {};
        }
        std::vector<Origin*> scapegoats(parents.size(), nullptr);
        for (std::size_t i = 0; i < parents.size(); ++i) {
            auto parent = m_history.commit(parents[i], "parent " + std::to_string(i + 1) + " of commit " +
                                                           shortId(git_commit_id(o.commit.get())));
            if (!parent) return unexpected(parent.error());
            auto file = findOrigin(o, parent->get());
            if (!file) return unexpected(file.error());
            if (!*file) continue;
            Origin* p = intern(std::move(*parent), (*file)->path, (*file)->blob);
            if (git_oid_equal(&p->blob, &o.blob)) {  // unchanged: the parent takes every line
                for (const auto& [index, line] : o.suspects) give(p, index, line);
                o.suspects.clear();
                return {};
            }
            bool same = false;
            for (std::size_t j = 0; j < i; ++j) same |= scapegoats[j] && git_oid_equal(&scapegoats[j]->blob, &p->blob);
            if (!same) scapegoats[i] = p;
        }
        for (Origin* p : scapegoats) {
            if (!p) continue;
            if (auto ok = passToParent(o, *p); !ok) return ok;
            if (o.suspects.empty()) return {};
        }
        settle(o, false);
        return {};
    }

    const History& m_history;
    std::map<std::string, std::unique_ptr<Origin>> m_origins;
    std::priority_queue<std::pair<Key, Origin*>, std::vector<std::pair<Key, Origin*>>, Later> m_queue;
    std::vector<BlamedLine> m_result;
    std::uint64_t m_order = 0;
    int m_maxSteps;
    int m_steps = 0;
};

}  // namespace

Result<std::vector<BlamedLine>> blameLines(const History& history, git_commit* start, const std::string& path,
                                           const std::string& content, int first, int last, int maxSteps) {
    Blamer blamer(history, std::size_t(last - first + 1), maxSteps);
    return blamer.run(start, path, content, first, last);
}

}  // namespace atelier::agents::git
