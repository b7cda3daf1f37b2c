#pragma once
// The git plugin's tools. Each is stateless; the repository path (argument `repo`, default the
// workspace) and every path inside it go through ToolContext::resolve. Results cite commit ids.

#include <memory>

#include "atelier/agents/tool.h"

namespace atelier::agents::git {

std::unique_ptr<Tool> makeGitLog();
std::unique_ptr<Tool> makeGitShow();
std::unique_ptr<Tool> makeGitDiff();
std::unique_ptr<Tool> makeGitBlame();
std::unique_ptr<Tool> makeGitFile();
std::unique_ptr<Tool> makeGitGrep();

// Limits.
inline constexpr int kDefaultLogCount = 50;
inline constexpr int kMaxLogCount = 500;
inline constexpr int kMaxWalkedCommits = 200000;       // a filtered log stops looking after this
inline constexpr std::size_t kMaxDiffBytes = 24 * 1024;  // one page of a diff
inline constexpr std::size_t kMaxDiffTotalBytes = 8u * 1024 * 1024;
inline constexpr int kMaxFileLines = 400;
inline constexpr int kMaxBlameLines = 400;
inline constexpr int kMaxGrepHits = 100;
inline constexpr std::size_t kMaxGrepBlobBytes = 4u * 1024 * 1024;

}  // namespace atelier::agents::git
