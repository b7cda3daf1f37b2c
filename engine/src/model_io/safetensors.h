#pragma once
// The safetensors container (https://huggingface.co/docs/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, ...,
// "__metadata__": {...}}, then the data region; offsets are relative to the data region.
// The parser takes bytes (a mapping, or a fuzzer's buffer) and validates every entry.
// Thread-safe: pure functions.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/engine/dtype.h"
#include "atelier/base/result.h"

namespace atelier::engine {

struct SafetensorsEntry {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::uint64_t offset = 0;  // absolute byte offset within the file
    std::uint64_t nbytes = 0;
};

struct SafetensorsHeader {
    std::vector<SafetensorsEntry> tensors;  // in the order of their data offsets
    std::map<std::string, std::string> metadata;
    std::uint64_t dataOffset = 0;           // 8 + N
};

// Refuses headers above this size (the safetensors library's own limit is 100 MB).
inline constexpr std::uint64_t kSafetensorsMaxHeader = 100ull << 20;

// Parses and validates a whole file held in `file`; `fileName` appears in every error.
// Checks: header length inside the file and below the limit; JSON that is an object of
// objects; known dtype; non-negative shape; shape x dtype size == end - begin; offsets in
// order, inside the data region and not overlapping.
Result<SafetensorsHeader> parseSafetensors(std::span<const std::byte> file,
                                           const std::string& fileName);

// Safetensors dtype names ("BF16", "F8_E4M3", ...); nullopt for names the engine cannot hold.
std::optional<DType> safetensorsDType(std::string_view name);
std::string_view safetensorsDTypeName(DType dtype);
// Bytes per element of a safetensors dtype (all of them are byte-granular).
std::size_t safetensorsElementBytes(DType dtype);

}  // namespace atelier::engine
