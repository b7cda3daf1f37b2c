#pragma once
// A file's path as the document service's messages show it: valid UTF-8 whatever bytes the
// file system gave (base::validUtf8 marks the ones that are not).

#include <filesystem>
#include <string>

#include "atelier/base/utf8.h"

namespace atelier::agents {

inline std::string shownPath(const std::filesystem::path& p) { return base::validUtf8(p.string()); }

}  // namespace atelier::agents
