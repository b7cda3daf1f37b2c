#include "tree_walk.h"

#include <algorithm>
#include <vector>

#include "gitignore.h"

namespace atelier::agents::files {
namespace fs = std::filesystem;
namespace {

struct Walker {
    const ToolContext& ctx;
    const std::function<bool(const WalkEntry&)>& visit;
    int* denied;
    bool recursive;
    GitIgnore ignore;

    // Returns false when the visitor asked to stop.
    bool walk(const fs::path& dir, const std::string& rel) {
        ignore.addFile(dir, rel);
        std::vector<fs::directory_entry> entries;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(dir, fs::directory_options::skip_permission_denied, ec))
            entries.push_back(e);
        std::sort(entries.begin(), entries.end(),
                  [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
        for (const auto& e : entries) {
            const std::string name = e.path().filename().string();
            if (name == ".git") continue;
            const std::string childRel = rel.empty() ? name : rel + "/" + name;
            const bool isLink = e.is_symlink(ec);
            const bool isDir = e.is_directory(ec);
            if (ignore.ignored(childRel, isDir)) continue;
            auto resolved = ctx.resolve(e.path().string(), Access::Read);
            if (!resolved) {
                if (denied) ++*denied;
                continue;
            }
            WalkEntry entry{*resolved, childRel, isDir};
            if (!visit(entry)) return false;
            // Never follow a symlinked folder: it could loop or leave the tree.
            if (isDir && !isLink && recursive && !walk(e.path(), childRel)) return false;
        }
        return true;
    }
};

}  // namespace

void walkTree(const fs::path& root, const ToolContext& ctx, bool recursive,
              const std::function<bool(const WalkEntry&)>& visit, int* denied) {
    Walker w{ctx, visit, denied, recursive, {}};
    w.walk(root, "");
}

}  // namespace atelier::agents::files
