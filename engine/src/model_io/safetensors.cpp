#include "model_io/safetensors.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

namespace atelier::engine {
namespace {

struct DTypeName {
    std::string_view name;
    DType dtype;
    std::size_t bytes;
};

constexpr std::array<DTypeName, 10> kDTypes{{
    {"F32", DType::F32, 4},
    {"F16", DType::F16, 2},
    {"BF16", DType::BF16, 2},
    {"F8_E4M3", DType::F8_E4M3, 1},
    {"F8_E8M0", DType::F8_E8M0, 1},
    {"I8", DType::E2M1x2, 1},
    {"I32", DType::I32, 4},
    {"I64", DType::I64, 8},
    {"U8", DType::U8, 1},
    {"F64", DType::F64, 8},
}};

using Json = nlohmann::json;

// Reads a JSON number as a non-negative integer that fits in 63 bits.
std::optional<std::uint64_t> asCount(const Json& v) {
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        if (u <= std::uint64_t(std::numeric_limits<std::int64_t>::max())) return u;
        return std::nullopt;
    }
    if (v.is_number_integer()) {
        const auto i = v.get<std::int64_t>();
        if (i >= 0) return std::uint64_t(i);
    }
    return std::nullopt;
}

struct EntryParser {
    const std::string& file;
    std::uint64_t dataOffset;
    std::uint64_t dataSize;

    std::string where(const std::string& name) const {
        return file + ": tensor '" + name + "' (header entry)";
    }

    Result<SafetensorsEntry> parse(const std::string& name, const Json& v) const {
        if (!v.is_object()) return unexpected(Error::badInput(where(name) + " is not an object"));
        SafetensorsEntry e;
        e.name = name;
        auto dt = v.find("dtype");
        if (dt == v.end() || !dt->is_string())
            return unexpected(Error::badInput(where(name) + " has no dtype string"));
        const auto dtype = safetensorsDType(dt->get_ref<const std::string&>());
        if (!dtype)
            return unexpected(Error::badInput(where(name) + " has unknown dtype '" +
                                              dt->get<std::string>() + "'"));
        e.dtype = *dtype;
        auto shape = v.find("shape");
        if (shape == v.end() || !shape->is_array())
            return unexpected(Error::badInput(where(name) + " has no shape array"));
        // Element count with overflow checks: a header may claim any shape.
        std::uint64_t elements = 1;
        for (const auto& d : *shape) {
            const auto n = asCount(d);
            if (!n) return unexpected(Error::badInput(where(name) + " has a negative or non-integer dimension"));
            e.shape.push_back(std::int64_t(*n));
            if (*n != 0 && elements > std::numeric_limits<std::uint64_t>::max() / 8 / *n)
                return unexpected(Error::badInput(where(name) + " has a shape too large to exist"));
            elements *= *n;
        }
        auto offsets = v.find("data_offsets");
        if (offsets == v.end() || !offsets->is_array() || offsets->size() != 2)
            return unexpected(Error::badInput(where(name) + " has no [begin, end] data_offsets"));
        const auto begin = asCount((*offsets)[0]), end = asCount((*offsets)[1]);
        if (!begin || !end || *end < *begin)
            return unexpected(Error::badInput(where(name) + " has invalid data_offsets"));
        if (*end > dataSize)
            return unexpected(Error::badInput(
                file + ": tensor '" + name + "' ends at byte " +
                std::to_string(dataOffset + *end) + ", past the end of the file (" +
                std::to_string(dataOffset + dataSize) + " bytes)"));
        const std::uint64_t want = elements * safetensorsElementBytes(e.dtype);
        if (want != *end - *begin)
            return unexpected(Error::badInput(
                file + ": tensor '" + name + "' at byte " + std::to_string(dataOffset + *begin) +
                ": shape and dtype need " + std::to_string(want) + " bytes but its offsets span " +
                std::to_string(*end - *begin)));
        e.offset = dataOffset + *begin;
        e.nbytes = *end - *begin;
        return e;
    }
};

Result<void> parseMetadata(const Json& v, const std::string& file,
                           std::map<std::string, std::string>& out) {
    if (!v.is_object())
        return unexpected(Error::badInput(file + ": __metadata__ is not an object"));
    for (const auto& [key, value] : v.items()) {
        if (!value.is_string())
            return unexpected(Error::badInput(file + ": __metadata__ value '" + key +
                                              "' is not a string"));
        out[key] = value.get<std::string>();
    }
    return {};
}

}  // namespace

std::optional<DType> safetensorsDType(std::string_view name) {
    for (const auto& d : kDTypes)
        if (d.name == name) return d.dtype;
    return std::nullopt;
}

std::string_view safetensorsDTypeName(DType dtype) {
    for (const auto& d : kDTypes)
        if (d.dtype == dtype) return d.name;
    return "?";
}

std::size_t safetensorsElementBytes(DType dtype) {
    for (const auto& d : kDTypes)
        if (d.dtype == dtype) return d.bytes;
    return 0;
}

Result<SafetensorsHeader> parseSafetensors(std::span<const std::byte> file,
                                           const std::string& fileName) {
    if (file.size() < 8)
        return unexpected(Error::badInput(fileName + ": truncated: " + std::to_string(file.size()) +
                                          " bytes, fewer than the 8-byte header length"));
    std::uint64_t headerLen = 0;
    for (int i = 7; i >= 0; --i) headerLen = (headerLen << 8) | std::uint64_t(file[std::size_t(i)]);
    if (headerLen > kSafetensorsMaxHeader)
        return unexpected(Error::badInput(fileName + ": header length " + std::to_string(headerLen) +
                                          " at byte 0 exceeds the 100 MB limit"));
    if (headerLen > file.size() - 8)
        return unexpected(Error::badInput(fileName + ": header length " + std::to_string(headerLen) +
                                          " at byte 0 runs past the end of the file (" +
                                          std::to_string(file.size()) + " bytes)"));
    SafetensorsHeader h;
    h.dataOffset = 8 + headerLen;
    const auto* text = reinterpret_cast<const char*>(file.data() + 8);
    Json root;
    try {
        root = Json::parse(text, text + headerLen);
    } catch (const Json::exception& e) {
        // nlohmann reports the position within the header; the header starts at byte 8.
        return unexpected(Error::badInput(fileName + ": invalid JSON header (starts at byte 8): " +
                                          e.what()));
    }
    if (!root.is_object())
        return unexpected(Error::badInput(fileName + ": the JSON header is not an object"));
    EntryParser parser{fileName, h.dataOffset, file.size() - h.dataOffset};
    for (const auto& [name, value] : root.items()) {
        if (name == "__metadata__") {
            ATELIER_TRY_VOID(parseMetadata(value, fileName, h.metadata));
            continue;
        }
        auto e = parser.parse(name, value);
        if (!e) return unexpected(std::move(e.error()));
        h.tensors.push_back(std::move(*e));
    }
    std::sort(h.tensors.begin(), h.tensors.end(), [](const auto& a, const auto& b) {
        return a.offset != b.offset ? a.offset < b.offset : a.nbytes < b.nbytes;
    });
    for (std::size_t i = 1; i < h.tensors.size(); ++i) {
        const auto& prev = h.tensors[i - 1];
        const auto& cur = h.tensors[i];
        if (cur.offset < prev.offset + prev.nbytes)
            return unexpected(Error::badInput(
                fileName + ": tensor '" + cur.name + "' at byte " + std::to_string(cur.offset) +
                " overlaps tensor '" + prev.name + "' (bytes " + std::to_string(prev.offset) +
                " to " + std::to_string(prev.offset + prev.nbytes) + ")"));
    }
    return h;
}

}  // namespace atelier::engine
