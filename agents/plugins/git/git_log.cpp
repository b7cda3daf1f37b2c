// git_log: commits reachable from a revision, newest first, filtered by path, author, date and
// message; paged with `skip`.

#include <climits>
#include <cstring>
#include <ctime>
#include <optional>

#include "git_repo.h"
#include "git_text.h"
#include "git_tools.h"

namespace atelier::agents::git {
namespace {

// Whether `commit` changes `path` (a file or folder) compared with its first parent.
bool touchesPath(git_commit* commit, const std::string& path) {
    git_tree* tree = nullptr;
    if (git_commit_tree(&tree, commit) != 0) return false;
    TreePtr ownTree(tree);
    git_oid mine{}, theirs{};
    git_tree_entry* e = nullptr;
    const bool inMine = git_tree_entry_bypath(&e, tree, path.c_str()) == 0;
    if (inMine) git_oid_cpy(&mine, git_tree_entry_id(e)), git_tree_entry_free(e);
    git_commit* parent = nullptr;
    if (git_commit_parentcount(commit) == 0 || git_commit_parent(&parent, commit, 0) != 0) return inMine;
    CommitPtr ownParent(parent);
    git_tree* parentTree = nullptr;
    if (git_commit_tree(&parentTree, parent) != 0) return inMine;
    TreePtr ownParentTree(parentTree);
    const bool inTheirs = git_tree_entry_bypath(&e, parentTree, path.c_str()) == 0;
    if (inTheirs) git_oid_cpy(&theirs, git_tree_entry_id(e)), git_tree_entry_free(e);
    if (inMine != inTheirs) return true;
    return inMine && !git_oid_equal(&mine, &theirs);
}

// "YYYY-MM-DD" (UTC midnight) as seconds since the epoch.
Result<std::int64_t> parseDate(const std::string& text) {
    std::tm tm{};
    if (!strptime(text.c_str(), "%Y-%m-%d", &tm))
        return unexpected(Error::badInput("since: expected a date YYYY-MM-DD, got '" + text + "'"));
    return std::int64_t(timegm(&tm));
}

struct LogFilter {
    std::string path, author;
    std::optional<Regex> grep;
    std::int64_t since = INT64_MIN;

    bool accepts(git_commit* c) const {
        if (git_commit_time(c) < since) return false;
        if (!author.empty()) {
            const git_signature* a = git_commit_author(c);
            const std::string who = validUtf8(std::string(a->name ? a->name : "") + " <" +
                                              (a->email ? a->email : "") + ">");
            if (strcasestr(who.c_str(), author.c_str()) == nullptr) return false;
        }
        if (grep && !grep->matches(commitMessage(c))) return false;
        return path.empty() || touchesPath(c, path);
    }
};

class GitLog final : public Tool {
public:
    std::string name() const override { return "git_log"; }
    std::string description() const override {
        return "List commits newest first (id, date, author, summary), optionally only those "
               "touching a path, by an author, since a date or whose message matches a regex.";
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
                  {"grep", str("Only commits whose message matches this regex (case-insensitive)")}}},
                {"additionalProperties", false}};
    }
    std::uint32_t capabilities() const override { return std::uint32_t(Capability::ReadFiles); }

    Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const override {
        GitLibrary lib;
        auto repo = openRepo(args, ctx);
        if (!repo) return unexpected(repo.error());
        LogFilter filter;
        filter.path = args.value("path", std::string());
        if (auto ok = checkTreePath(*repo, filter.path, ctx); !ok) return unexpected(ok.error());
        filter.author = args.value("author", std::string());
        if (args.contains("since")) {
            auto t = parseDate(args["since"].get<std::string>());
            if (!t) return unexpected(t.error());
            filter.since = *t;
        }
        if (args.contains("grep")) {
            auto re = Regex::compile(args["grep"].get<std::string>(), true);
            if (!re) return unexpected(re.error());
            filter.grep.emplace(std::move(*re));
        }
        const std::string rev = args.value("rev", std::string("HEAD"));
        auto start = resolveCommit(repo->repo.get(), rev);
        if (!start) return unexpected(start.error());
        return walk(*repo, start->get(), filter, args);
    }

private:
    Result<ToolResult> walk(const OpenedRepo& repo, git_commit* start, const LogFilter& filter,
                            const nlohmann::json& args) const {
        git_revwalk* raw = nullptr;
        if (git_revwalk_new(&raw, repo.repo.get()) != 0) return unexpected(gitError("revwalk"));
        WalkPtr walker(raw);
        git_revwalk_sorting(raw, GIT_SORT_TIME);
        git_revwalk_push(raw, git_commit_id(start));
        const int maxCount = args.value("max_count", kDefaultLogCount);
        const int skip = args.value("skip", 0);
        ToolResult r;
        nlohmann::json commits = nlohmann::json::array();
        int matched = 0, walked = 0;
        bool more = false;
        git_oid oid;
        while (git_revwalk_next(&oid, raw) == 0 && ++walked <= kMaxWalkedCommits) {
            git_commit* c = nullptr;
            if (git_commit_lookup(&c, repo.repo.get(), &oid) != 0) continue;
            CommitPtr commit(c);
            if (!filter.accepts(c)) continue;
            if (matched++ < skip) continue;
            if (int(commits.size()) == maxCount) {
                more = true;
                break;
            }
            auto j = commitJson(c);
            r.text += shortId(&oid) + " " + j["date"].get<std::string>().substr(0, 10) + " " +
                      j["author"].get<std::string>() + ": " + j["summary"].get<std::string>() + "\n";
            r.sources.push_back(gitSource(repo, &oid, filter.path));
            commits.push_back(std::move(j));
        }
        if (commits.empty()) r.text = "(no matching commits)\n";
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
