#pragma once
// GitIgnore: the subset of .gitignore rules a tree search must honour — comments, blank lines,
// negation (!), directory-only patterns (trailing /), anchored patterns (containing /), and
// `**`. Rules from nested .gitignore files apply below their folder; later rules win.

#include <filesystem>
#include <string>
#include <vector>

namespace atelier::agents::files {

class GitIgnore {
public:
    // Adds the rules of `<dir>/.gitignore` (if any); `dirRel` is `dir` relative to the root
    // ("" for the root itself).
    void addFile(const std::filesystem::path& dir, const std::string& dirRel);
    // Adds rules from text, as if read from the .gitignore of `dirRel`.
    void addRules(const std::string& text, const std::string& dirRel);

    // Whether `relPath` (relative to the root, '/'-separated) is ignored.
    bool ignored(const std::string& relPath, bool isDir) const;

private:
    struct Rule {
        std::string base;     // folder of the .gitignore, relative to the root
        std::string pattern;  // without leading '!' and trailing '/'
        bool negate = false;
        bool dirOnly = false;
        bool anchored = false;
    };
    std::vector<Rule> m_rules;
};

}  // namespace atelier::agents::files
