// files_read: a range of lines of a text file, numbered, paged.

#include <algorithm>

#include "files_tools.h"
#include "text_file.h"

namespace atelier::agents::files {
namespace {

class FilesRead final : public Tool {
public:
    std::string name() const override { return "files_read"; }
    std::string description() const override {
        return "Read lines of a text file (at most 400 per call). Lines are numbered; the "
               "result says how to read on.";
    }
    nlohmann::json parameters() const override {
        return {{"type", "object"},
                {"properties",
                 {{"path", {{"type", "string"}, {"description", "File path, relative to the workspace or absolute"}}},
                  {"start_line", {{"type", "integer"}, {"minimum", 1}, {"description", "First line (1-based)"}}},
                  {"end_line", {{"type", "integer"}, {"minimum", 1}, {"description", "Last line, inclusive"}}}}},
                {"required", {"path"}},
                {"additionalProperties", false}};
    }
    std::uint32_t capabilities() const override { return std::uint32_t(Capability::ReadFiles); }

    Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const override {
        const std::string requested = args.at("path").get<std::string>();
        auto path = ctx.resolve(requested, Access::Read);
        if (!path) return unexpected(path.error());
        std::error_code ec;
        if (std::filesystem::is_directory(*path, ec))
            return unexpected(Error::badInput("'" + requested + "' is a folder; use files_list"));
        if (!std::filesystem::is_regular_file(*path, ec))
            return unexpected(Error::notFound("'" + requested + "' does not exist or is not a file"));
        if (looksBinary(*path))
            return unexpected(Error::badInput("'" + requested + "' is a binary file; files_read "
                                              "returns text only"));
        auto text = readText(*path, kMaxFileBytes);
        if (!text) return unexpected(text.error());
        const auto lines = splitLines(*text);
        const int total = int(lines.size());
        const int first = args.value("start_line", 1);
        int last = args.value("end_line", first + kMaxReadLines - 1);
        if (last < first) return unexpected(Error::badInput("end_line is before start_line"));
        last = std::min({last, total, first + kMaxReadLines - 1});

        ToolResult r;
        const std::string shown = displayPath(*path, ctx.workspace());
        std::size_t bytes = 0;
        int reached = first - 1;
        for (int i = first; i <= last; ++i) {
            const auto& line = lines[std::size_t(i - 1)];
            if (bytes + line.size() > kMaxResultBytes - 512) break;  // keep within the bound
            r.text += std::to_string(i) + "\t" + std::string(line) + "\n";
            bytes += line.size() + 8;
            reached = i;
        }
        if (first > total) r.text = "(the file has " + std::to_string(total) + " lines)\n";
        r.data = {{"path", shown}, {"first_line", first}, {"last_line", reached}, {"total_lines", total}};
        if (reached >= first) r.sources.push_back({"file", shown, first, reached, 0, {}});
        if (reached < total && first <= total) {
            r.truncated = true;
            r.next = {{"path", requested}, {"start_line", reached + 1}};
            r.text += "[lines " + std::to_string(first) + "-" + std::to_string(reached) + " of " +
                      std::to_string(total) + "; continue with start_line " +
                      std::to_string(reached + 1) + "]\n";
        }
        return r;
    }
};

}  // namespace

std::unique_ptr<Tool> makeFilesRead() { return std::make_unique<FilesRead>(); }

}  // namespace atelier::agents::files
