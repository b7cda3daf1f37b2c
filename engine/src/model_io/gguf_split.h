#pragma once
// Split GGUF files as llama.cpp's gguf-split writes them: `name-00001-of-00004.gguf`, each part a
// complete GGUF whose metadata carries `split.no` (u16, from 0), `split.count` (u16) and
// `split.tensors.count` (i32, all parts together); the first part holds the model metadata, every
// part its own tensors. Opening any part opens the set; each part stays its own mapping, so the
// tensors are read in place across the parts (zero copy). Thread-safe: a GgufSet is immutable.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/base/result.h"
#include "gguf_reader.h"

namespace atelier::engine::gguf {

// `prefix-00003-of-00008.gguf` -> {prefix, 3, 8}; count 0 when `path` is not named like a part.
struct SplitName {
    std::filesystem::path prefix;  // folder and stem before "-00003-of-00008"
    int number = 0;                // 1-based
    int count = 0;
};
SplitName parseSplitName(const std::filesystem::path& path);
std::filesystem::path splitPartPath(const std::filesystem::path& prefix, int number, int count);

// One GGUF or all parts of a split one, with a lookup of every tensor across the parts.
class GgufSet {
public:
    // Opens `path`; when it is a part of a split file (by name or by its split.* keys), every
    // part. A missing part, a part of another split, a tensor in two parts or a tensor count that
    // disagrees with split.tensors.count is an error naming the part.
    static Result<std::shared_ptr<const GgufSet>> open(const std::filesystem::path& path);

    // The first part: its metadata describes the model.
    const GgufFile& metadata() const { return m_parts.front()->file(); }
    std::size_t partCount() const { return m_parts.size(); }
    const GgufFile& part(std::size_t i) const { return m_parts[i]->file(); }

    struct Located {
        const GgufFile* file = nullptr;  // the part holding the tensor
        const TensorInfo* info = nullptr;
    };
    // nullptr file when no part holds `name`.
    Located find(std::string_view name) const;
    // Every tensor of every part, in part then file order.
    std::vector<Located> tensors() const;

private:
    std::vector<std::shared_ptr<const MappedGguf>> m_parts;
};

// Writes `in` (one GGUF) as `parts` files named splitPartPath(outPrefix, i, parts), tensors
// divided in file order into parts of about equal bytes, the model metadata in the first part.
// Each part goes through a temporary file and a rename. Returns the paths written.
Result<std::vector<std::filesystem::path>> writeSplitGguf(const std::filesystem::path& in,
                                                         const std::filesystem::path& outPrefix, int parts);

}  // namespace atelier::engine::gguf
