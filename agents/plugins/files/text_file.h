#pragma once
// Reading text files for tools: binary detection and line access with limits.

#include <filesystem>
#include <string>
#include <vector>

#include "atelier/engine/result.h"

namespace atelier::agents::files {

// A file is binary when its first 8 KiB hold a NUL byte.
bool looksBinary(const std::filesystem::path& path);

// Reads a whole text file of at most `maxBytes`; larger files are an error naming the size.
Result<std::string> readText(const std::filesystem::path& path, std::size_t maxBytes);

// Splits into lines without their terminators ("\n" or "\r\n").
std::vector<std::string_view> splitLines(std::string_view text);

// Paths in results: relative to the workspace when inside it, else absolute.
std::string displayPath(const std::filesystem::path& path, const std::filesystem::path& workspace);

}  // namespace atelier::agents::files
