// files_list and files_stat.

#include <chrono>

#include "files_tools.h"
#include "text_file.h"
#include "tree_walk.h"

namespace atelier::agents::files {
namespace fs = std::filesystem;
namespace {

nlohmann::json pathOnly(const char* what) {
    return {{"type", "object"},
            {"properties", {{"path", {{"type", "string"}, {"description", what}}}}},
            {"required", {"path"}},
            {"additionalProperties", false}};
}

std::string specialKind(fs::file_type type) {
    switch (type) {
        case fs::file_type::fifo: return "fifo";
        case fs::file_type::socket: return "socket";
        case fs::file_type::block: return "block device";
        case fs::file_type::character: return "character device";
        default: return "special file";
    }
}

class FilesList final : public Tool {
public:
    std::string name() const override { return "files_list"; }
    std::string description() const override {
        return "List a folder (optionally recursively), honouring .gitignore. At most 500 "
               "entries per call; the result says how to continue.";
    }
    nlohmann::json parameters() const override {
        return {{"type", "object"},
                {"properties",
                 {{"path", {{"type", "string"}, {"description", "Folder (default: the workspace)"}}},
                  {"recursive", {{"type", "boolean"}}},
                  {"offset", {{"type", "integer"}, {"minimum", 0}}}}},
                {"additionalProperties", false}};
    }
    std::uint32_t capabilities() const override { return std::uint32_t(Capability::ReadFiles); }

    Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const override {
        const std::string requested = args.value("path", std::string("."));
        auto root = ctx.resolve(requested, Access::Read);
        if (!root) return unexpected(root.error());
        std::error_code ec;
        if (!fs::is_directory(*root, ec))
            return unexpected(Error::notFound("'" + requested + "' is not a folder"));
        const bool recursive = args.value("recursive", false);
        const int offset = args.value("offset", 0);
        ToolResult r;
        nlohmann::json entries = nlohmann::json::array();
        int index = 0, denied = 0;
        bool more = false;
        walkTree(*root, ctx, recursive, [&](const WalkEntry& e) {
            if (index++ < offset) return true;
            if (int(entries.size()) == kMaxListEntries) {
                more = true;
                return false;
            }
            std::error_code sec;
            const auto status = fs::status(e.path, sec);
            const std::string type = e.isDir ? "dir" : fs::is_regular_file(status) ? "file" : specialKind(status.type());
            const auto size = type == "file" ? fs::file_size(e.path, sec) : 0;
            entries.push_back({{"path", e.rel}, {"type", type}, {"size", sec ? 0 : size}});
            r.text += e.rel + (e.isDir ? "/" : "  (" + std::to_string(sec ? 0 : size) + " bytes)") + "\n";
            return true;
        }, &denied);
        const std::string shown = displayPath(*root, ctx.workspace());
        r.data = {{"path", shown}, {"entries", entries}, {"denied", denied}};
        r.sources.push_back({"file", shown, 0, 0, 0, {}});
        if (denied > 0) r.text += "[" + std::to_string(denied) + " entries hidden by the policy]\n";
        if (more) {
            r.truncated = true;
            r.next = {{"path", requested}, {"recursive", recursive}, {"offset", offset + kMaxListEntries}};
            r.text += "[more entries: continue with offset " + std::to_string(offset + kMaxListEntries) + "]\n";
        }
        if (entries.empty() && !more) r.text += "(empty)\n";
        return r;
    }
};

class FilesStat final : public Tool {
public:
    std::string name() const override { return "files_stat"; }
    std::string description() const override {
        return "Describe a file or folder: type, size, modification time, whether it is text.";
    }
    nlohmann::json parameters() const override { return pathOnly("File or folder path"); }
    std::uint32_t capabilities() const override { return std::uint32_t(Capability::ReadFiles); }

    Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const override {
        const std::string requested = args.at("path").get<std::string>();
        auto path = ctx.resolve(requested, Access::Read);
        if (!path) return unexpected(path.error());
        std::error_code ec;
        const auto status = fs::status(*path, ec);
        if (ec || !fs::exists(status))
            return unexpected(Error::notFound("'" + requested + "' does not exist"));
        const bool isDir = fs::is_directory(status);
        const auto mtime = fs::last_write_time(*path, ec);
        const auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                              mtime - fs::file_time_type::clock::now() + std::chrono::system_clock::now().time_since_epoch())
                              .count();
        const std::string shown = displayPath(*path, ctx.workspace());
        ToolResult r;
        if (!isDir && !fs::is_regular_file(status)) {
            // A FIFO, socket or device is described, never opened (a FIFO's open() would wait).
            const std::string kind = specialKind(status.type());
            r.data = {{"path", shown}, {"type", kind}, {"size", 0}, {"modified_unix", secs}, {"binary", true}};
            r.text = shown + ": " + kind + " (not a regular file; not readable by the files tools)\n";
            r.sources.push_back({"file", shown, 0, 0, 0, {}});
            return r;
        }
        const auto size = isDir ? 0 : fs::file_size(*path, ec);
        const bool binary = !isDir && looksBinary(*path);
        r.data = {{"path", shown}, {"type", isDir ? "dir" : "file"}, {"size", size},
                  {"modified_unix", secs}, {"binary", binary}};
        r.text = shown + ": " + (isDir ? "folder" : (binary ? "binary file, " : "text file, ") +
                                                     std::to_string(size) + " bytes") + "\n";
        r.sources.push_back({"file", shown, 0, 0, 0, {}});
        return r;
    }
};

}  // namespace

std::unique_ptr<Tool> makeFilesList() { return std::make_unique<FilesList>(); }
std::unique_ptr<Tool> makeFilesStat() { return std::make_unique<FilesStat>(); }

}  // namespace atelier::agents::files
