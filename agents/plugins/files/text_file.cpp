#include "text_file.h"

#include <fstream>

namespace atelier::agents::files {
namespace fs = std::filesystem;

bool looksBinary(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    char buf[8192];
    in.read(buf, sizeof buf);
    const auto n = in.gcount();
    for (std::streamsize i = 0; i < n; ++i)
        if (buf[i] == '\0') return true;
    return false;
}

Result<std::string> readText(const fs::path& path, std::size_t maxBytes) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) return unexpected(Error::io("cannot read '" + path.string() + "': " + ec.message()));
    if (size > maxBytes)
        return unexpected(Error::badInput("'" + path.string() + "' is " + std::to_string(size) +
                                          " bytes, over the " + std::to_string(maxBytes) +
                                          "-byte limit for this tool"));
    std::ifstream in(path, std::ios::binary);
    if (!in) return unexpected(Error::io("cannot open '" + path.string() + "'"));
    std::string text(size, '\0');
    in.read(text.data(), std::streamsize(size));
    text.resize(std::size_t(in.gcount()));
    return text;
}

std::vector<std::string_view> splitLines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::size_t len = end - start;
        if (len > 0 && text[start + len - 1] == '\r') --len;
        lines.push_back(text.substr(start, len));
        start = end + 1;
    }
    return lines;
}

std::string displayPath(const fs::path& path, const fs::path& workspace) {
    std::error_code ec;
    const fs::path ws = fs::weakly_canonical(workspace, ec);
    const fs::path rel = path.lexically_relative(ws);
    if (!rel.empty() && *rel.begin() != "..") return rel.string();
    return path.string();
}

}  // namespace atelier::agents::files
