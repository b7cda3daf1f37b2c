#pragma once
// GGUF v3 container parsing (ggml's gguf.h layout): header, typed metadata, tensor infos and the
// aligned data section. Every count, length and offset is checked against the bytes actually
// present before it is used, so any input gives either a GgufFile or an error naming the file,
// the key or tensor, and the byte offset. Knows nothing about model architectures.
// Thread-safe: parsing is a pure function; a parsed GgufFile is immutable.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "atelier/base/mapped_file.h"
#include "atelier/base/result.h"
#include "gguf_types.h"

namespace atelier::engine::gguf {

// A metadata value. Scalars are widened into one of u64 / i64 / f64 / bool / string, but the
// declared `type` is kept so that callers can insist on the exact GGUF type.
struct Value {
    ValueType type = ValueType::U8;
    ValueType elemType = ValueType::U8;  // arrays only
    std::uint64_t offset = 0;            // byte offset of the value's type tag in the file
    std::variant<std::uint64_t, std::int64_t, double, bool, std::string> scalar;
    std::vector<std::string> strings;    // arrays of strings
    std::span<const std::byte> raw;      // arrays of numbers: the packed little-endian elements
    std::uint64_t count = 0;             // arrays: number of elements

    bool isArray() const { return type == ValueType::Array; }
};

struct TensorInfo {
    std::string name;
    GgmlType type = GgmlType::F32;
    std::vector<std::int64_t> ne;        // ggml order: ne[0] is the fastest axis
    std::uint64_t infoOffset = 0;        // byte offset of the tensor info in the file
    std::uint64_t dataOffset = 0;        // absolute byte offset of the data in the file
    std::uint64_t nbytes = 0;

    std::int64_t elements() const;
};

struct GgufFile {
    std::string fileName;                // for messages
    std::uint32_t version = 0;
    std::uint32_t alignment = kDefaultAlignment;
    std::uint64_t dataStart = 0;         // absolute offset of the data section
    std::vector<std::pair<std::string, Value>> kv;  // in file order
    std::vector<TensorInfo> tensors;     // in file order
    std::span<const std::byte> bytes;    // the whole file; owned by the caller / the mapping

    const Value* find(std::string_view key) const;
    const TensorInfo* findTensor(std::string_view name) const;
    const std::byte* tensorData(const TensorInfo& t) const { return bytes.data() + t.dataOffset; }

    std::map<std::string, std::size_t, std::less<>> kvIndex;
    std::map<std::string, std::size_t, std::less<>> tensorIndex;
};

// Parses a complete GGUF file held in memory. `bytes` must outlive the result. The fuzzer's
// entry point.
Result<GgufFile> parse(std::span<const std::byte> bytes, std::string fileName);

// A read-only memory mapping of a GGUF file together with its parsed structure.
class MappedGguf {
public:
    MappedGguf(const MappedGguf&) = delete;
    MappedGguf& operator=(const MappedGguf&) = delete;

    static Result<std::shared_ptr<const MappedGguf>> open(const std::filesystem::path& path);
    const GgufFile& file() const { return m_file; }

private:
    MappedGguf() = default;
    base::MappedFile m_map;
    GgufFile m_file;  // its spans point into m_map
};

}  // namespace atelier::engine::gguf
