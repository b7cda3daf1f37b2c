#pragma once
// The files plugin's tools. Each is stateless; paths go through ToolContext::resolve.

#include <memory>

#include "atelier/agents/tool.h"

namespace atelier::agents::files {

std::unique_ptr<Tool> makeFilesList();
std::unique_ptr<Tool> makeFilesStat();
std::unique_ptr<Tool> makeFilesRead();
std::unique_ptr<Tool> makeFilesSearch();

// Limits: the most lines one read returns, the largest file read or searched.
inline constexpr int kMaxReadLines = 400;
inline constexpr std::size_t kMaxFileBytes = 64u * 1024 * 1024;
inline constexpr int kMaxListEntries = 500;
inline constexpr int kMaxSearchHits = 100;
inline constexpr std::size_t kMaxSearchFiles = 20000;

}  // namespace atelier::agents::files
