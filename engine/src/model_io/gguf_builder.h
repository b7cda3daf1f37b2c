#pragma once
// GgufBuilder: builds a GGUF v3 file (metadata, tensor infos, aligned data). Tensor bytes are
// produced by a callback when the data section is written, one tensor at a time, so a large model
// never sits in memory whole. Writing to disk goes through a temporary file and a rename.
// Thread-compatible: one writer per thread.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "atelier/base/result.h"
#include "gguf_reader.h"

namespace atelier::engine::gguf {

class GgufBuilder {
public:
    // Fills exactly the tensor's byte size (zeroed beforehand).
    using Fill = std::function<void(std::byte* out, std::size_t nbytes)>;

    void addU16(const std::string& key, std::uint16_t v);
    void addU32(const std::string& key, std::uint32_t v);
    void addI32(const std::string& key, std::int32_t v);
    void addF32(const std::string& key, float v);
    void addBool(const std::string& key, bool v);
    void addString(const std::string& key, const std::string& v);
    void addU32Array(const std::string& key, const std::vector<std::uint32_t>& v);
    void addI32Array(const std::string& key, const std::vector<std::int32_t>& v);
    void addF32Array(const std::string& key, const std::vector<float>& v);
    void addStringArray(const std::string& key, const std::vector<std::string>& v);
    // A value read from another GGUF, re-encoded with its declared type (gguf split, copies).
    void addValue(const std::string& key, const Value& v);

    // `ne` in ggml order. ne[0] must be a multiple of the type's block size.
    void addTensor(std::string name, GgmlType type, std::vector<std::int64_t> ne, Fill fill);

    std::size_t tensorCount() const { return m_tensors.size(); }
    // Header, metadata and tensor infos, padded to the alignment: the bytes before the data.
    std::vector<std::byte> header() const;
    // The bytes writeFile writes: the header and the aligned data section.
    std::uint64_t fileBytes() const { return header().size() + m_dataSize; }
    // The whole file in memory (tests and small models).
    std::vector<std::byte> toBytes() const;
    // Writes `path` through a temporary beside it, renamed at the end.
    Result<void> writeFile(const std::filesystem::path& path) const;

private:
    struct Tensor {
        std::string name;
        GgmlType type;
        std::vector<std::int64_t> ne;
        std::size_t nbytes = 0;
        std::uint64_t offset = 0;  // relative to the data section
        Fill fill;
    };
    void key(const std::string& k, ValueType t);
    template <typename T>
    void put(const T& v);
    void putString(const std::string& s);

    std::vector<std::byte> m_kv;
    std::uint64_t m_kvCount = 0;
    std::vector<Tensor> m_tensors;
    std::uint64_t m_dataSize = 0;
};

}  // namespace atelier::engine::gguf
