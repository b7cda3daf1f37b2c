// Where a repository's data really lives, checked against the grant (see git_storage.h).

#include "git_storage.h"

#include <fstream>
#include <set>
#include <vector>

namespace atelier::agents::git {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxAlternateDepth = 5;              // libgit2's GIT_ALTERNATES_MAX_DEPTH
constexpr std::size_t kMaxLinkFileBytes = 4096;     // a gitdir or commondir file is one line
constexpr std::size_t kMaxAlternatesBytes = 64 * 1024;

bool within(const fs::path& path, const fs::path& root) {
    const auto rel = path.lexically_relative(root);
    return !rel.empty() && *rel.begin() != "..";
}

// The real path of `p`: every existing symlink followed, `..` resolved, no trailing separator.
fs::path realPath(fs::path p) {
    if (!p.has_filename() && p.has_parent_path()) p = p.parent_path();
    std::error_code ec;
    fs::path r = fs::weakly_canonical(p, ec);
    return ec ? fs::absolute(p, ec).lexically_normal() : r;
}

// Refuses `what` at `path` unless its real path lies inside `dir` (the granted repository
// folder) or the policy grants it. The policy is asked with the real path, so the audit log
// records where the data really is.
Result<void> requireGranted(const fs::path& path, const std::string& what, const fs::path& dir,
                            const std::string& shown, const ToolContext& ctx) {
    const fs::path real = realPath(path);
    if (within(real, dir)) return {};
    auto allowed = ctx.resolve(real.string(), Access::Read);
    if (allowed) return {};
    return unexpected(ErrorCode::Denied, "repository '" + shown + "': " + what + " '" +
                                                   real.string() + "', outside the grant (" +
                                                   allowed.error().message + ")");
}

// The first line of a small file (a gitdir or commondir file), without its line end. Read only
// after symlink_status said the file is regular, so a FIFO never blocks here.
std::string firstLine(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::string text(kMaxLinkFileBytes, '\0');
    in.read(text.data(), std::streamsize(text.size()));
    text.resize(std::size_t(in.gcount()));
    text = text.substr(0, text.find('\n'));
    while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
    return text;
}

Result<void> notRegular(const fs::path& p, const std::string& shown) {
    return unexpected(ErrorCode::Denied, "repository '" + shown + "': '" + p.string() +
                                                   "' is not a regular file or folder");
}

// The files libgit2 reads while opening `gitDir`: a symlink among them must stay in the grant,
// and each must be a regular file (a FIFO would block the open).
Result<void> checkOpenedFiles(const fs::path& gitDir, const fs::path& dir, const std::string& shown,
                              const ToolContext& ctx) {
    for (const char* name : {"HEAD", "config", "commondir", "gitdir", "packed-refs", "shallow", "index"}) {
        const fs::path p = gitDir / name;
        std::error_code ec;
        auto st = fs::symlink_status(p, ec);
        if (st.type() == fs::file_type::not_found) continue;
        if (st.type() == fs::file_type::symlink) {
            if (auto ok = requireGranted(p, std::string("its '") + name + "' is a symlink to", dir, shown, ctx); !ok)
                return ok;
            st = fs::status(p, ec);
            if (st.type() == fs::file_type::not_found) continue;
        }
        if (st.type() != fs::file_type::regular) return notRegular(p, shown);
    }
    return {};
}

// A linked worktree's git folder names the main one in `commondir` (relative to itself).
Result<void> checkCommonDir(const fs::path& gitDir, const fs::path& dir, const std::string& shown,
                            const ToolContext& ctx) {
    const fs::path file = gitDir / "commondir";
    std::error_code ec;
    if (fs::status(file, ec).type() != fs::file_type::regular) return {};
    fs::path common = firstLine(file);
    if (common.empty()) return {};
    if (common.is_relative()) common = gitDir / common;
    if (auto ok = requireGranted(common, "its commondir file points to", dir, shown, ctx); !ok) return ok;
    return checkOpenedFiles(realPath(common), dir, shown, ctx);
}

// Where each line of `objects/info/alternates` leads, read as libgit2 reads it: a relative line
// starting with '.' in the repository's own object folder (depth 0) against that folder, any
// other relative line against the process's current folder.
std::vector<fs::path> alternatesOf(const fs::path& objects, int depth) {
    std::vector<fs::path> out;
    const fs::path file = objects / "info" / "alternates";
    std::error_code ec;
    if (fs::status(file, ec).type() != fs::file_type::regular) return out;
    std::ifstream in(file, std::ios::binary);
    std::string text(kMaxAlternatesBytes, '\0');
    in.read(text.data(), std::streamsize(text.size()));
    text.resize(std::size_t(in.gcount()));
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find_first_of("\r\n", start);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(start, end - start);
        start = end + 1;
        if (line.empty() || line[0] == '#') continue;
        const fs::path p(line);
        if (p.is_absolute()) out.push_back(p);
        else if (line[0] == '.' && depth == 0) out.push_back(objects / p);
        else out.push_back(fs::absolute(p, ec));
    }
    return out;
}

// Walks one object folder: every symlink in it stays in the grant (a symlinked folder is walked
// too), nothing is a FIFO, socket or device; then its alternates, recursively.
Result<void> checkObjects(const fs::path& objects, int depth, const fs::path& dir, const std::string& shown,
                          const ToolContext& ctx, std::set<fs::path>& seen) {
    if (depth > kMaxAlternateDepth + 1) return {};  // libgit2 reads no deeper
    if (auto ok = requireGranted(objects, depth == 0 ? "its object folder is" : "an alternate object folder is",
                                 dir, shown, ctx);
        !ok)
        return ok;
    std::vector<fs::path> folders{realPath(objects)};
    const fs::path root = folders.front();
    while (!folders.empty()) {
        const fs::path folder = folders.back();
        folders.pop_back();
        if (!seen.insert(folder).second) continue;
        std::error_code ec, entryEc;
        if (!fs::is_directory(folder, ec)) continue;  // a missing alternate: libgit2 skips it too
        auto it = fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied, ec);
        for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            const auto type = it->symlink_status(entryEc).type();
            if (type == fs::file_type::regular || type == fs::file_type::directory) continue;
            if (type != fs::file_type::symlink) return notRegular(it->path(), shown);
            if (auto ok = requireGranted(it->path(), "an object symlink leads to", dir, shown, ctx); !ok) return ok;
            if (fs::is_directory(it->path(), entryEc)) folders.push_back(realPath(it->path()));
        }
        // Unchecked objects are never trusted.
        if (ec) return unexpected(Error::io("repository '" + shown + "': cannot scan '" + folder.string() + "': " + ec.message()));
    }
    for (const auto& alternate : alternatesOf(root, depth))
        if (auto ok = checkObjects(alternate, depth + 1, dir, shown, ctx, seen); !ok) return ok;
    return {};
}

}  // namespace

Result<void> checkGitLink(const fs::path& dir, const std::string& shown, const ToolContext& ctx) {
    const fs::path dotGit = dir / ".git";
    std::error_code ec;
    fs::path gitDir = dotGit;
    const auto type = fs::symlink_status(dotGit, ec).type();
    if (type == fs::file_type::not_found) {
        gitDir = dir;  // perhaps a bare repository
    } else if (type == fs::file_type::symlink) {
        if (auto ok = requireGranted(dotGit, "its .git is a symlink to", dir, shown, ctx); !ok) return ok;
        gitDir = realPath(dotGit);
    } else if (type != fs::file_type::directory && type != fs::file_type::regular) {
        return notRegular(dotGit, shown);
    }
    const auto target = fs::status(dotGit, ec).type();
    if (target == fs::file_type::regular) {
        // A gitdir file ("gitdir: PATH"), read by libgit2 relative to the folder holding `.git`;
        // through a symlink the target's folder is checked too.
        const std::string line = firstLine(dotGit);
        if (!line.starts_with("gitdir:"))
            return unexpected(Error::badInput("repository '" + shown + "': its .git is a file without a 'gitdir:' line"));
        std::string named = line.substr(7);
        named.erase(0, named.find_first_not_of(' '));
        const fs::path p(named);
        std::vector<fs::path> candidates{p.is_absolute() ? p : dir / p};
        if (p.is_relative() && type == fs::file_type::symlink) candidates.push_back(gitDir.parent_path() / p);
        for (const auto& c : candidates)
            if (auto ok = requireGranted(c, "its .git file points to", dir, shown, ctx); !ok) return ok;
        gitDir = realPath(candidates.front());
    } else if (type != fs::file_type::not_found && target != fs::file_type::directory) {
        return notRegular(dotGit, shown);
    }
    if (auto ok = checkOpenedFiles(gitDir, dir, shown, ctx); !ok) return ok;
    return checkCommonDir(gitDir, dir, shown, ctx);
}

Result<void> checkObjectStorage(git_repository* repo, const fs::path& dir, const std::string& shown,
                                const ToolContext& ctx) {
    if (auto ok = requireGranted(git_repository_path(repo), "its git folder is", dir, shown, ctx); !ok) return ok;
    const fs::path common = git_repository_commondir(repo);
    if (auto ok = requireGranted(common, "its common git folder is", dir, shown, ctx); !ok) return ok;
    std::set<fs::path> seen;
    return checkObjects(realPath(common) / "objects", 0, dir, shown, ctx, seen);
}

}  // namespace atelier::agents::git
