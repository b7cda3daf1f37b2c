#pragma once
// Text helpers of the git plugin: commit messages decoded by their encoding header (invalid
// UTF-8 elsewhere is made valid with base::validUtf8: messages and paths may be in any
// encoding), line splitting, binary detection.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <git2.h>

#include "atelier/base/result.h"

namespace atelier::agents::git {

// The commit message in UTF-8: Latin-1 when its encoding header says so, else with invalid
// bytes replaced.
std::string commitMessage(const git_commit* commit);

std::vector<std::string_view> splitLines(std::string_view text);

// Whether `data` looks binary (a NUL byte in its first 8000 bytes, as git decides).
bool looksBinary(std::string_view data);

}  // namespace atelier::agents::git
