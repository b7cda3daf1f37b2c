#include "gitignore.h"

#include <fnmatch.h>

#include <fstream>
#include <sstream>

namespace atelier::agents::files {
namespace {

std::vector<std::string> components(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string part;
    while (std::getline(ss, part, '/'))
        if (!part.empty()) out.push_back(part);
    return out;
}

bool matchFrom(const std::vector<std::string>& pat, std::size_t pi,
               const std::vector<std::string>& path, std::size_t si) {
    if (pi == pat.size()) return si == path.size();
    if (pat[pi] == "**") {
        for (std::size_t k = si; k <= path.size(); ++k)
            if (matchFrom(pat, pi + 1, path, k)) return true;
        return false;
    }
    if (si == path.size()) return false;
    if (::fnmatch(pat[pi].c_str(), path[si].c_str(), 0) != 0) return false;
    return matchFrom(pat, pi + 1, path, si + 1);
}

}  // namespace

void GitIgnore::addFile(const std::filesystem::path& dir, const std::string& dirRel) {
    std::ifstream in(dir / ".gitignore");
    if (!in) return;
    std::stringstream ss;
    ss << in.rdbuf();
    addRules(ss.str(), dirRel);
}

void GitIgnore::addRules(const std::string& text, const std::string& dirRel) {
    std::stringstream ss(text);
    std::string line;
    while (std::getline(ss, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        while (!line.empty() && line.back() == ' ' && (line.size() < 2 || line[line.size() - 2] != '\\'))
            line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        Rule r;
        r.base = dirRel;
        if (line[0] == '!') {
            r.negate = true;
            line.erase(0, 1);
        } else if (line[0] == '\\') {
            line.erase(0, 1);
        }
        if (!line.empty() && line.back() == '/') {
            r.dirOnly = true;
            line.pop_back();
        }
        // A slash at the start or in the middle anchors the pattern to its folder.
        r.anchored = line.find('/') != std::string::npos;
        if (!line.empty() && line[0] == '/') line.erase(0, 1);
        if (line.empty()) continue;
        r.pattern = line;
        m_rules.push_back(std::move(r));
    }
}

bool GitIgnore::ignored(const std::string& relPath, bool isDir) const {
    bool result = false;
    const auto full = components(relPath);
    for (const auto& r : m_rules) {
        if (r.dirOnly && !isDir) continue;
        const auto base = components(r.base);
        if (base.size() > full.size()) continue;
        bool under = true;
        for (std::size_t i = 0; i < base.size(); ++i)
            if (base[i] != full[i]) under = false;
        if (!under) continue;
        const std::vector<std::string> rest(full.begin() + std::ptrdiff_t(base.size()), full.end());
        if (rest.empty()) continue;
        const auto pat = components(r.pattern);
        bool hit;
        if (r.anchored) {
            hit = matchFrom(pat, 0, rest, 0);
        } else {  // matches the last component (a name anywhere below the base)
            hit = pat.size() == 1 && ::fnmatch(pat[0].c_str(), rest.back().c_str(), 0) == 0;
        }
        if (hit) result = !r.negate;
    }
    return result;
}

}  // namespace atelier::agents::files
