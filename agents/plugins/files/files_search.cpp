// files_search: a PCRE2 regular expression across a file or a folder tree, skipping binaries and
// what .gitignore ignores, with paged hits that cite path and line.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>

#include "files_tools.h"
#include "text_file.h"
#include "tree_walk.h"

namespace atelier::agents::files {
namespace fs = std::filesystem;
namespace {

struct CodeDeleter {
    void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
struct MatchDataDeleter {
    void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};

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
        int errorCode = 0;
        PCRE2_SIZE errorOffset = 0;
        std::uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
        if (args.value("ignore_case", false)) options |= PCRE2_CASELESS;
        std::unique_ptr<pcre2_code, CodeDeleter> re(
            pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options,
                          &errorCode, &errorOffset, nullptr));
        if (!re) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(errorCode, msg, sizeof msg);
            return unexpected(Error::badInput("invalid pattern at offset " + std::to_string(errorOffset) +
                                              ": " + reinterpret_cast<const char*>(msg)));
        }
        pcre2_jit_compile(re.get(), PCRE2_JIT_COMPLETE);  // optional speed-up; fine if it fails
        std::unique_ptr<pcre2_match_data, MatchDataDeleter> md(
            pcre2_match_data_create_from_pattern(re.get(), nullptr));

        auto root = ctx.resolve(requested, Access::Read);
        if (!root) return unexpected(root.error());
        ToolResult r;
        nlohmann::json hits = nlohmann::json::array();
        int hitIndex = 0, denied = 0, skippedBinary = 0;
        std::size_t files = 0;
        bool more = false;
        auto searchFile = [&](const fs::path& file, const std::string& shown) {
            if (looksBinary(file)) {
                ++skippedBinary;
                return true;
            }
            auto text = readText(file, kMaxFileBytes);
            if (!text) return true;
            int lineNo = 0;
            for (auto line : splitLines(*text)) {
                ++lineNo;
                const int rc = pcre2_match(re.get(), reinterpret_cast<PCRE2_SPTR>(line.data()),
                                           line.size(), 0, 0, md.get(), nullptr);
                if (rc < 0) continue;
                if (hitIndex++ < offset) continue;
                if (int(hits.size()) == kMaxSearchHits) {
                    more = true;
                    return false;
                }
                std::string excerpt(line.substr(0, 300));
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
                if (e.isDir) return true;
                if (++files > kMaxSearchFiles) {
                    more = true;
                    return false;
                }
                return searchFile(e.path, displayPath(e.path, ctx.workspace()));
            }, &denied);
        } else {
            return unexpected(Error::notFound("'" + requested + "' does not exist"));
        }
        r.data = {{"hits", hits}, {"denied", denied}, {"skipped_binary", skippedBinary}};
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
