// Text helpers of the git plugin (see git_text.h).

#include "git_text.h"

#include <cstring>
#include <strings.h>

#include "atelier/base/utf8.h"

namespace atelier::agents::git {
namespace {

std::string latin1ToUtf8(std::string_view text) {
    std::string out;
    for (char ch : text) {
        const auto b = static_cast<unsigned char>(ch);
        if (b < 0x80) {
            out += ch;
        } else {
            out += char(0xC0 | (b >> 6));
            out += char(0x80 | (b & 0x3F));
        }
    }
    return out;
}

}  // namespace

std::string commitMessage(const git_commit* commit) {
    const char* raw = git_commit_message(commit);
    const std::string_view text = raw ? raw : "";
    const char* encoding = git_commit_message_encoding(commit);
    if (encoding && (strcasecmp(encoding, "ISO-8859-1") == 0 || strcasecmp(encoding, "latin1") == 0 ||
                     strcasecmp(encoding, "ISO8859-1") == 0))
        return latin1ToUtf8(text);
    return base::validUtf8(text);
}

std::vector<std::string_view> splitLines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        start = end + 1;
    }
    return lines;
}

bool looksBinary(std::string_view data) {
    return std::memchr(data.data(), 0, std::min<std::size_t>(data.size(), 8000)) != nullptr;
}

}  // namespace atelier::agents::git
