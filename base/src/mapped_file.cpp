#include "atelier/base/mapped_file.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace atelier::base {

MappedFile::~MappedFile() { release(); }

MappedFile::MappedFile(MappedFile&& other) noexcept
    : m_data(std::exchange(other.m_data, nullptr)),
      m_size(std::exchange(other.m_size, 0)),
      m_path(std::move(other.m_path)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
    if (this != &other) {
        release();
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
        m_path = std::move(other.m_path);
    }
    return *this;
}

void MappedFile::release() {
    if (m_data && m_size > 0) ::munmap(const_cast<std::byte*>(m_data), m_size);
    m_data = nullptr;
    m_size = 0;
}

Result<MappedFile> MappedFile::open(const std::filesystem::path& path) {
    MappedFile f;
    f.m_path = path.string();
    // O_NONBLOCK: opening a FIFO named as a model file must not wait for a writer; the check
    // below then refuses it (regular files ignore the flag).
    const int fd = ::open(f.m_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        const int err = errno;
        const std::string msg = f.m_path + ": cannot open: " + std::strerror(err);
        return unexpected(err == ENOENT ? Error::notFound(msg) : Error::badInput(msg));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return unexpected(Error::badInput(f.m_path + ": not a regular file"));
    }
    f.m_size = std::size_t(st.st_size);
    if (f.m_size > 0) {
        void* p = ::mmap(nullptr, f.m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            f.m_size = 0;
            return unexpected(Error::io(f.m_path + ": cannot map: " + std::strerror(err)));
        }
        f.m_data = static_cast<const std::byte*>(p);
    }
    ::close(fd);
    return f;
}

}  // namespace atelier::base
