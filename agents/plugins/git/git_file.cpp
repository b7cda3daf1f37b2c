// git_file: lines of a file as it was at a revision, numbered and paged like files_read.

#include <algorithm>

#include "atelier/base/utf8.h"
#include "git_repo.h"
#include "git_text.h"
#include "git_tools.h"

namespace atelier::agents::git {
namespace {

class GitFile final : public Tool {
public:
    std::string name() const override { return "git_file"; }
    std::string description() const override {
        return "Read lines of a file at a revision (at most 400 per call), numbered.";
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
        int last = args.value("end_line", first + kMaxFileLines - 1);
        if (last < first) return unexpected(Error::badInput("end_line is before start_line"));
        last = std::min({last, total, first + kMaxFileLines - 1});

        ToolResult r;
        std::size_t bytes = 0;
        int reached = first - 1;
        for (int i = first; i <= last; ++i) {
            const auto line = lines[std::size_t(i - 1)];
            if (bytes + line.size() > kMaxResultBytes - 512) break;
            r.text += std::to_string(i) + "\t" + std::string(line) + "\n";
            bytes += line.size() + 8;
            reached = i;
        }
        if (first > total) r.text = "(the file has " + std::to_string(total) + " lines)\n";
        const git_oid* id = git_commit_id(commit->get());
        r.data = {{"repo", repo->shown}, {"path", path}, {"commit", oidHex(id)}, {"first_line", first},
                  {"last_line", reached}, {"total_lines", total}};
        if (reached >= first) r.sources.push_back(gitSource(*repo, id, path, first, reached));
        if (reached < total && first <= total) {
            r.truncated = true;
            r.next = args;
            r.next["start_line"] = reached + 1;
            r.next.erase("end_line");
            r.text += "[lines " + std::to_string(first) + "-" + std::to_string(reached) + " of " +
                      std::to_string(total) + "; continue with start_line " + std::to_string(reached + 1) + "]\n";
        }
        return r;
    }
};

}  // namespace

std::unique_ptr<Tool> makeGitFile() { return std::make_unique<GitFile>(); }

}  // namespace atelier::agents::git
