#pragma once
// Reading text files for tools: binary detection and line access with limits.

#include <filesystem>
#include <string>
#include <vector>

#include "atelier/base/result.h"

namespace atelier::agents::files {

// Every open below is O_NONBLOCK and checked with fstat: a FIFO, socket or device in the
// workspace is refused (or counted as binary), never waited on.

// Whether `path` opens as a regular file.
bool isRegularFile(const std::filesystem::path& path);

// A file is binary when its first 8 KiB hold a NUL byte; anything that is not a regular file
// counts as binary.
bool looksBinary(const std::filesystem::path& path);

// Reads a whole regular text file of at most `maxBytes`; larger files are an error naming the
// size, and a file that is not regular (FIFO, socket, device) is a BadInput error.
Result<std::string> readText(const std::filesystem::path& path, std::size_t maxBytes);

// Splits into lines without their terminators ("\n" or "\r\n").
std::vector<std::string_view> splitLines(std::string_view text);

// Paths in results: relative to the workspace when inside it, else absolute.
std::string displayPath(const std::filesystem::path& path, const std::filesystem::path& workspace);

}  // namespace atelier::agents::files
