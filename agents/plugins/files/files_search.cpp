// files_search: a PCRE2 regular expression across a file or a folder tree, skipping binaries and
// what .gitignore ignores, with paged hits that cite path and line.

#include <memory>
#include <optional>

#include "atelier/agents/bounded_regex.h"
#include "atelier/base/utf8.h"
#include "files_tools.h"
#include "text_file.h"
#include "tree_walk.h"

namespace atelier::agents::files {
namespace fs = std::filesystem;
namespace {

class FilesSearch final : public Tool {
public:
    std::string name() const override { return "files_search"; }
    std::string description() const override {
        return "Search text files for a regular expression (PCRE2 syntax), in a file or a whole "
               "folder tree, skipping binary and .gitignore'd files. At most 100 hits per call.";
    }
    nlohmann::json parameters() const override {
        return {{"type", "object"},
                {"properties",
                 {{"pattern", {{"type", "string"}, {"minLength", 1}, {"description", "Regular expression"}}},
                  {"path", {{"type", "string"}, {"description", "File or folder (default: the workspace)"}}},
                  {"ignore_case", {{"type", "boolean"}}},
                  {"offset", {{"type", "integer"}, {"minimum", 0}}}}},
                {"required", {"pattern"}},
                {"additionalProperties", false}};
    }
    std::uint32_t capabilities() const override { return std::uint32_t(Capability::ReadFiles); }

    Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const override {
        const std::string pattern = args.at("pattern").get<std::string>();
        const std::string requested = args.value("path", std::string("."));
        const int offset = args.value("offset", 0);
        auto re = BoundedRegex::compile(pattern, args.value("ignore_case", false) ? PCRE2_UCP | PCRE2_CASELESS
                                                                                 : PCRE2_UCP);
        if (!re) return unexpected(re.error());

        auto root = ctx.resolve(requested, Access::Read);
        if (!root) return unexpected(root.error());
        ToolResult r;
        nlohmann::json hits = nlohmann::json::array();
        int hitIndex = 0, denied = 0, skippedBinary = 0, skippedSpecial = 0;
        std::size_t files = 0;
        bool more = false;
        std::optional<Error> failure;  // a pattern too costly to match, or the deadline
        auto searchFile = [&](const fs::path& file, const std::string& shown) {
            if (ctx.expired()) {
                failure = Error{ErrorCode::Overflow, "files_search stopped at the call's deadline after " +
                                                         std::to_string(files) + " files, before '" + shown +
                                                         "'; search a narrower path"};
                return false;
            }
            std::error_code sec;
            if (!fs::is_regular_file(file, sec)) {  // a FIFO, socket or device: never opened
                ++skippedSpecial;
                return true;
            }
            if (looksBinary(file)) {
                ++skippedBinary;
                return true;
            }
            auto text = readText(file, kMaxFileBytes);
            if (!text) return true;
            int lineNo = 0;
            for (auto line : splitLines(*text)) {
                ++lineNo;
                if (lineNo % 256 == 0 && ctx.expired()) {
                    failure = Error{ErrorCode::Overflow, "files_search stopped at the call's deadline at " + shown +
                                                             ":" + std::to_string(lineNo) + "; search a narrower path"};
                    return false;
                }
                auto found = re->search(line);
                if (!found) {
                    failure = Error{found.error().code,
                                    "files_search: " + found.error().message + " (at " + shown + ":" +
                                        std::to_string(lineNo) + ")"};
                    return false;
                }
                if (!*found) continue;
                if (hitIndex++ < offset) continue;
                if (int(hits.size()) == kMaxSearchHits) {
                    more = true;
                    return false;
                }
                const std::string excerpt = base::truncateUtf8(line, 300);
                hits.push_back({{"path", shown}, {"line", lineNo}, {"text", excerpt}});
                r.text += shown + ":" + std::to_string(lineNo) + ": " + excerpt + "\n";
                r.sources.push_back({"file", shown, lineNo, lineNo, 0, {}});
            }
            return true;
        };
        std::error_code ec;
        if (fs::is_regular_file(*root, ec)) {
            searchFile(*root, displayPath(*root, ctx.workspace()));
        } else if (fs::is_directory(*root, ec)) {
            walkTree(*root, ctx, true, [&](const WalkEntry& e) {
                if (e.isDir) return !ctx.expired();
                if (++files > kMaxSearchFiles) {
                    more = true;
                    return false;
                }
                return searchFile(e.path, displayPath(e.path, ctx.workspace()));
            }, &denied);
            if (!failure && !more && ctx.expired())
                failure = Error{ErrorCode::Overflow, "files_search stopped at the call's deadline after " +
                                                         std::to_string(files) + " files; search a narrower path"};
        } else if (fs::exists(*root, ec)) {
            return unexpected(Error::badInput("'" + requested + "' is not a regular file or a folder"));
        } else {
            return unexpected(Error::notFound("'" + requested + "' does not exist"));
        }
        if (failure) return unexpected(*failure);
        r.data = {{"hits", hits}, {"denied", denied}, {"skipped_binary", skippedBinary},
                  {"skipped_special", skippedSpecial}};
        if (hits.empty() && !more) r.text = "no matches\n";
        if (denied > 0) r.text += "[" + std::to_string(denied) + " entries hidden by the policy]\n";
        if (more) {
            r.truncated = true;
            r.next = {{"pattern", pattern}, {"path", requested}, {"offset", offset + int(hits.size())}};
            r.text += "[more matches: continue with offset " + std::to_string(offset + int(hits.size())) + "]\n";
        }
        return r;
    }
};

}  // namespace

std::unique_ptr<Tool> makeFilesSearch() { return std::make_unique<FilesSearch>(); }

}  // namespace atelier::agents::files
