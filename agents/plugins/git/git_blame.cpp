// git_blame: for each line of a file range at a revision, the commit that last changed it.

#include <algorithm>
#include <map>

#include "atelier/base/utf8.h"
#include "git_history.h"
#include "git_line_blame.h"
#include "git_repo.h"
#include "git_text.h"
#include "git_tools.h"

namespace atelier::agents::git {
namespace {

class GitBlame final : public Tool {
public:
    std::string name() const override { return "git_blame"; }
    std::string description() const override {
        return "For lines of a file at a revision, the commit, author and author date that last "
               "changed each, as `git blame` finds them (follows renames; '^' marks a root or shallow "
               "boundary commit; at most 400 lines per call).";
    }
    nlohmann::json parameters() const override {
        return {{"type", "object"},
                {"properties",
                 {{"repo", {{"type", "string"}, {"description", "Repository folder (default: the workspace)"}}},
                  {"path", {{"type", "string"}, {"description", "File path relative to the repository"}}},
                  {"rev", {{"type", "string"}, {"description", "Revision (default HEAD)"}}},
                  {"start_line", {{"type", "integer"}, {"minimum", 1}}},
                  {"end_line", {{"type", "integer"}, {"minimum", 1}}}}},
                {"required", {"path"}},
                {"additionalProperties", false}};
    }
    std::uint32_t capabilities() const override { return std::uint32_t(Capability::ReadFiles); }

    Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const override {
        GitLibrary lib;
        auto repo = openRepo(args, ctx);
        if (!repo) return unexpected(repo.error());
        const std::string path = args.at("path").get<std::string>();
        if (auto ok = checkTreePath(*repo, path, ctx); !ok) return unexpected(ok.error());
        auto commit = resolveCommit(repo->repo.get(), args.value("rev", std::string("HEAD")));
        if (!commit) return unexpected(commit.error());
        auto content = readBlobAt(repo->repo.get(), commit->get(), path);
        if (!content) return unexpected(content.error());
        if (looksBinary(*content)) return unexpected(Error::badInput("'" + path + "' is a binary file"));
        const std::string text = base::validUtf8(*content);
        const auto lines = splitLines(text);
        const int total = int(lines.size());
        const int first = args.value("start_line", 1);
        int last = args.value("end_line", first + kMaxBlameLines - 1);
        if (last < first) return unexpected(Error::badInput("end_line is before start_line"));
        if (first > total)
            return unexpected(Error::badInput("start_line " + std::to_string(first) + " is past the end of '" +
                                              path + "' (" + std::to_string(total) + " lines)"));
        last = std::min({last, total, first + kMaxBlameLines - 1});

        auto history = History::open(repo->repo.get());
        if (!history) return unexpected(history.error());
        auto blamed = blameLines(*history, commit->get(), path, *content, first, last, kMaxWalkedCommits);
        if (!blamed) return unexpected(blamed.error());
        return describe(*repo, *history, path, lines, first, total, *blamed, args);
    }

private:
    Result<ToolResult> describe(const OpenedRepo& repo, const History& history, const std::string& path,
                                const std::vector<std::string_view>& lines, int first, int total,
                                const std::vector<BlamedLine>& blamed, const nlohmann::json& args) const {
        ToolResult r;
        nlohmann::json out = nlohmann::json::array();
        std::map<std::string, nlohmann::json> commits;  // id -> commitJson
        std::size_t bytes = 0;
        int reached = first - 1;
        const int last = first + int(blamed.size()) - 1;
        for (int i = first; i <= last; ++i) {
            const BlamedLine& b = blamed[std::size_t(i - first)];
            const auto line = lines[std::size_t(i - 1)];
            if (bytes + line.size() > kMaxResultBytes - 1024) break;
            const std::string id = oidHex(&b.commit);
            auto& info = commits[id];
            if (info.is_null()) {
                auto c = history.commit(b.commit, "blamed for line " + std::to_string(i));
                if (!c) return unexpected(c.error());
                info = commitJson(c->get());
            }
            const std::string who = info["author"].get<std::string>();
            const std::string date = info["date"].get<std::string>();
            // As `git blame` prints it: a boundary commit's id starts with '^'.
            r.text += (b.boundary ? "^" + id.substr(0, 11) : id.substr(0, 12)) + " (" + who + " " +
                      date.substr(0, 10) + " " + std::to_string(i) + ") " + std::string(line) + "\n";
            bytes += line.size() + 60;
            nlohmann::json j = {{"line", i}, {"commit", id}, {"author", who}, {"email", info["email"]},
                                {"date", date}, {"orig_line", b.origLine}, {"text", std::string(line)}};
            if (b.boundary) j["boundary"] = true;
            if (b.origPath != path) j["orig_path"] = base::validUtf8(b.origPath);
            out.push_back(std::move(j));
            // One citation per run of lines from the same commit.
            if (!r.sources.empty() && r.sources.back().commit == id && r.sources.back().lastLine == i - 1)
                r.sources.back().lastLine = i;
            else
                r.sources.push_back(gitSource(repo, &b.commit, path, i, i));
            reached = i;
        }
        r.data = {{"repo", repo.shown}, {"path", path}, {"lines", out}, {"total_lines", total}};
        if (reached < last || (reached < total && !args.contains("end_line"))) {
            r.truncated = true;
            r.next = args;
            r.next["start_line"] = reached + 1;
            r.text += "[continue with start_line " + std::to_string(reached + 1) + "]\n";
        }
        return r;
    }
};

}  // namespace

std::unique_ptr<Tool> makeGitBlame() { return std::make_unique<GitBlame>(); }

}  // namespace atelier::agents::git
