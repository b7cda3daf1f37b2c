#pragma once
// Text helpers of the git plugin: invalid UTF-8 made valid (commit messages and paths may be in
// any encoding), commit messages decoded by their encoding header, line splitting, and a
// PCRE2 regular expression.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <git2.h>

#include "atelier/engine/result.h"

namespace atelier::agents::git {

// `text` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string validUtf8(std::string_view text);

// The commit message in UTF-8: Latin-1 when its encoding header says so, else with invalid
// bytes replaced.
std::string commitMessage(const git_commit* commit);

std::vector<std::string_view> splitLines(std::string_view text);

// Whether `data` looks binary (a NUL byte in its first 8000 bytes, as git decides).
bool looksBinary(std::string_view data);

}  // namespace atelier::agents::git
