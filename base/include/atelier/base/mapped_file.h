#pragma once
// MappedFile: a read-only mmap of a whole file, unmapped on destruction; the one mmap wrapper of
// the code base. The engine's model sources keep one per shard so that tensor views point
// straight into the page cache (zero-copy). A FIFO, socket or device is refused, never waited
// on. Thread-safe after construction: the mapping is never written.

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>

#include "atelier/base/result.h"

namespace atelier::base {

class MappedFile {
public:
    MappedFile() = default;
    ~MappedFile();
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    // Maps `path` read-only. An empty file maps to an empty span.
    static Result<MappedFile> open(const std::filesystem::path& path);

    std::span<const std::byte> bytes() const { return {m_data, m_size}; }
    const std::string& path() const { return m_path; }

private:
    void release();

    const std::byte* m_data = nullptr;
    std::size_t m_size = 0;
    std::string m_path;
};

}  // namespace atelier::base
