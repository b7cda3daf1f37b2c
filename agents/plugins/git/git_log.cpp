// git_log: commits reachable from a revision in `git log`'s order (a shallow clone's boundary
// ends the walk; a missing commit is an error), filtered by path (with `git log -- PATH`'s
// history simplification), author, committer date and message lines; paged with `skip`.

#include <climits>
#include <cstring>
#include <ctime>
#include <list>
#include <optional>
#include <set>

#include "atelier/agents/bounded_regex.h"
#include "atelier/base/utf8.h"
#include "git_history.h"
#include "git_repo.h"
#include "git_text.h"
#include "git_tools.h"

namespace atelier::agents::git {
namespace {

// The entry `path` names in `tree` (id and mode), or nothing when it is absent.
std::optional<std::pair<git_oid, git_filemode_t>> entryAt(git_tree* tree, const std::string& path) {
    git_tree_entry* raw = nullptr;
    if (git_tree_entry_bypath(&raw, tree, path.c_str()) != 0) {
        git_error_clear();
        return std::nullopt;
    }
    EntryPtr e(raw);
    return std::make_pair(*git_tree_entry_id(raw), git_tree_entry_filemode(raw));
}

// Commits in the order `git log` gives them (revision.c without --topo-order): a list kept
// sorted by committer date, newest first, where a commit joins after those of the same date
// already waiting, and a commit's parents join when it leaves. Under a path, history is
// simplified as `git log -- PATH` does: a commit that changes nothing under the path
// (TREESAME) is not shown, and a merge TREESAME to one of its parents is followed only into
// that parent.
class LogWalk {
public:
    LogWalk(const History& history, std::string path) : m_history(history), m_path(std::move(path)) {}

    Result<void> push(const git_oid& id) {
        auto c = m_history.commit(id, "the starting revision");
        if (!c) return unexpected(c.error());
        m_seen.insert(oidHex(&id));
        enqueue(std::move(*c));
        return {};
    }

    struct Step {
        CommitPtr commit;
        bool shown = true;
    };
    // The next commit, or a null commit at the end.
    Result<Step> next() {
        if (m_pending.empty()) return Step{};
        Step step{std::move(m_pending.front()), true};
        m_pending.pop_front();
        git_commit* c = step.commit.get();
        std::vector<CommitPtr> parents;
        for (const auto& id : m_history.parents(c)) {
            auto p = m_history.commit(id, "a parent of commit " + shortId(git_commit_id(c)));
            if (!p) return unexpected(p.error());
            parents.push_back(std::move(*p));
        }
        if (!m_path.empty()) {
            auto simplified = simplify(c, parents, step.shown);
            if (!simplified) return unexpected(simplified.error());
        }
        for (auto& p : parents)
            if (m_seen.insert(oidHex(git_commit_id(p.get()))).second) enqueue(std::move(p));
        return step;
    }

private:
    void enqueue(CommitPtr c) {
        const git_time_t t = git_commit_time(c.get());
        auto it = m_pending.begin();
        while (it != m_pending.end() && git_commit_time(it->get()) >= t) ++it;
        m_pending.insert(it, std::move(c));
    }

    // try_to_simplify_commit: whether `c` is shown, and which parents are followed.
    Result<void> simplify(git_commit* c, std::vector<CommitPtr>& parents, bool& shown) {
        auto tree = m_history.tree(c);
        if (!tree) return unexpected(tree.error());
        const auto mine = entryAt(tree->get(), m_path);
        if (parents.empty()) {
            shown = mine.has_value();
            return {};
        }
        for (std::size_t i = 0; i < parents.size(); ++i) {
            auto parentTree = m_history.tree(parents[i].get());
            if (!parentTree) return unexpected(parentTree.error());
            const auto theirs = entryAt(parentTree->get(), m_path);
            const bool same = mine.has_value() == theirs.has_value() &&
                              (!mine || (git_oid_equal(&mine->first, &theirs->first) && mine->second == theirs->second));
            if (same) {
                CommitPtr only = std::move(parents[i]);
                parents.clear();
                parents.push_back(std::move(only));
                shown = false;
                return {};
            }
        }
        shown = true;
        return {};
    }

    const History& m_history;
    std::string m_path;
    std::list<CommitPtr> m_pending;
    std::set<std::string> m_seen;
};

// "YYYY-MM-DD" (UTC midnight) as seconds since the epoch.
Result<std::int64_t> parseDate(const std::string& text) {
    std::tm tm{};
    if (!strptime(text.c_str(), "%Y-%m-%d", &tm))
        return unexpected(Error::badInput("since: expected a date YYYY-MM-DD, got '" + text + "'"));
    return std::int64_t(timegm(&tm));
}

struct LogFilter {
    std::string author;
    std::optional<BoundedRegex> grep;
    std::int64_t since = INT64_MIN;

    // Whether `c` passes; a message the pattern is too costly to match is an error.
    Result<bool> accepts(git_commit* c) const {
        if (git_commit_time(c) < since) return false;
        if (!author.empty()) {
            const git_signature* a = git_commit_author(c);
            const std::string who = base::validUtf8(std::string(a->name ? a->name : "") + " <" +
                                                    (a->email ? a->email : "") + ">");
            if (strcasestr(who.c_str(), author.c_str()) == nullptr) return false;
        }
        if (!grep) return true;
        // As `git log --grep`: the pattern is matched against each line of the message, so '^'
        // and '$' anchor at every line.
        const std::string message = commitMessage(c);
        for (const auto line : splitLines(message)) {
            auto hit = grep->search(line);
            if (!hit) return unexpected(hit.error());
            if (*hit) return true;
        }
        return false;
    }
};

class GitLog final : public Tool {
public:
    std::string name() const override { return "git_log"; }
    std::string description() const override {
        return "List commits in `git log` order (id, author date, author, summary), optionally only "
               "those touching a path (history simplified as `git log -- PATH`), by an author, since a "
               "committer date or whose message matches a regex.";
    }
    nlohmann::json parameters() const override {
        auto str = [](const char* d) { return nlohmann::json{{"type", "string"}, {"description", d}}; };
        return {{"type", "object"},
                {"properties",
                 {{"repo", str("Repository folder (default: the workspace)")},
                  {"rev", str("Start from this revision (default HEAD)")},
                  {"max_count", {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxLogCount}}},
                  {"skip", {{"type", "integer"}, {"minimum", 0}, {"description", "Commits to skip (paging)"}}},
                  {"path", str("Only commits changing this file or folder (relative to the repository)")},
                  {"author", str("Only commits whose author name or email contains this")},
                  {"since", str("Only commits on or after this date, YYYY-MM-DD")},
                  {"grep", str("Only commits with a message line matching this regex (PCRE, case-insensitive; "
                               "'^' and '$' anchor at each line, as `git log -i --grep`)")}}},
                {"additionalProperties", false}};
    }
    std::uint32_t capabilities() const override { return std::uint32_t(Capability::ReadFiles); }

    Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const override {
        GitLibrary lib;
        auto repo = openRepo(args, ctx);
        if (!repo) return unexpected(repo.error());
        LogFilter filter;
        const std::string path = args.value("path", std::string());
        if (auto ok = checkTreePath(*repo, path, ctx); !ok) return unexpected(ok.error());
        filter.author = args.value("author", std::string());
        if (args.contains("since")) {
            auto t = parseDate(args["since"].get<std::string>());
            if (!t) return unexpected(t.error());
            filter.since = *t;
        }
        if (args.contains("grep")) {
            auto re = BoundedRegex::compile(args["grep"].get<std::string>(), PCRE2_CASELESS);
            if (!re) return unexpected(re.error());
            filter.grep.emplace(std::move(*re));
        }
        const std::string rev = args.value("rev", std::string("HEAD"));
        auto start = resolveCommit(repo->repo.get(), rev);
        if (!start) return unexpected(start.error());
        auto history = History::open(repo->repo.get());
        if (!history) return unexpected(history.error());
        LogWalk walk(*history, path);
        if (auto ok = walk.push(*git_commit_id(start->get())); !ok) return unexpected(ok.error());
        return list(*repo, walk, filter, path, args);
    }

private:
    Result<ToolResult> list(const OpenedRepo& repo, LogWalk& walk, const LogFilter& filter,
                            const std::string& path, const nlohmann::json& args) const {
        const int maxCount = args.value("max_count", kDefaultLogCount);
        const int skip = args.value("skip", 0);
        ToolResult r;
        nlohmann::json commits = nlohmann::json::array();
        int matched = 0, walked = 0;
        bool more = false;
        while (true) {
            if (++walked > kMaxWalkedCommits) {
                r.truncated = true;
                r.text += "[stopped after examining " + std::to_string(kMaxWalkedCommits) + " commits]\n";
                break;
            }
            auto step = walk.next();
            if (!step) return unexpected(step.error());
            git_commit* c = step->commit.get();
            if (!c) break;
            if (!step->shown) continue;
            auto accepted = filter.accepts(c);
            if (!accepted) return unexpected(accepted.error());
            if (!*accepted) continue;
            if (matched++ < skip) continue;
            if (int(commits.size()) == maxCount) {
                more = true;
                break;
            }
            auto j = commitJson(c);
            const git_oid* oid = git_commit_id(c);
            r.text += shortId(oid) + " " + j["date"].get<std::string>().substr(0, 10) + " " +
                      j["author"].get<std::string>() + ": " + j["summary"].get<std::string>() + "\n";
            r.sources.push_back(gitSource(repo, oid, path));
            commits.push_back(std::move(j));
        }
        if (commits.empty()) r.text = "(no matching commits)\n" + r.text;
        r.data = {{"repo", repo.shown}, {"commits", commits}};
        if (more) {
            r.truncated = true;
            r.next = args;
            r.next["skip"] = skip + int(commits.size());
            r.text += "[more commits: continue with skip " + std::to_string(skip + int(commits.size())) + "]\n";
        }
        return r;
    }
};

}  // namespace

std::unique_ptr<Tool> makeGitLog() { return std::make_unique<GitLog>(); }

}  // namespace atelier::agents::git
