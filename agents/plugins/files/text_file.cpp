#include "text_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace atelier::agents::files {
namespace fs = std::filesystem;
namespace {

// An open file descriptor, closed on scope exit.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

// Opens `path` for reading without blocking (a FIFO's open() waits for a writer, a device's may
// never return) and refuses anything but a regular file, judged on the opened descriptor so
// that a swap after the check cannot slip a FIFO in.
Result<void> openRegular(const fs::path& path, Fd& out, std::size_t* size) {
    out.fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (out.fd < 0) return unexpected(Error::io("cannot open '" + path.string() + "': " + std::strerror(errno)));
    struct stat st {};
    if (::fstat(out.fd, &st) != 0)
        return unexpected(Error::io("cannot read '" + path.string() + "': " + std::strerror(errno)));
    if (!S_ISREG(st.st_mode)) return unexpected(Error::badInput("'" + path.string() + "' is not a regular file"));
    // Reads of a regular file never block; clearing the flag keeps them ordinary.
    ::fcntl(out.fd, F_SETFL, ::fcntl(out.fd, F_GETFL) & ~O_NONBLOCK);
    if (size) *size = std::size_t(st.st_size);
    return {};
}

// Reads up to `n` bytes at the start of `fd`; fewer at its end.
std::size_t readUpTo(int fd, char* buf, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = ::read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += std::size_t(r);
    }
    return got;
}

}  // namespace

bool isRegularFile(const fs::path& path) {
    Fd fd;
    return openRegular(path, fd, nullptr).has_value();
}

bool looksBinary(const fs::path& path) {
    Fd fd;
    if (!openRegular(path, fd, nullptr)) return true;  // not a regular file: never read as text
    char buf[8192];
    const std::size_t n = readUpTo(fd.fd, buf, sizeof buf);
    return std::memchr(buf, '\0', n) != nullptr;
}

Result<std::string> readText(const fs::path& path, std::size_t maxBytes) {
    Fd fd;
    std::size_t size = 0;
    if (auto ok = openRegular(path, fd, &size); !ok) return unexpected(ok.error());
    if (size > maxBytes)
        return unexpected(Error::badInput("'" + path.string() + "' is " + std::to_string(size) +
                                          " bytes, over the " + std::to_string(maxBytes) +
                                          "-byte limit for this tool"));
    std::string text(size, '\0');
    text.resize(readUpTo(fd.fd, text.data(), size));
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
