#pragma once
// Writes one safetensors file tensor by tensor, so a writer never holds more than one tensor in
// memory: the header (offsets contiguous, in the given order, padded with spaces to 8 bytes as
// the safetensors library does) goes first, then each tensor's bytes as `produce` returns them.
// Thread-safe: no shared state.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "atelier/engine/dtype.h"
#include "atelier/base/result.h"

namespace atelier::engine {

struct PlannedTensor {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;

    std::uint64_t nbytes() const;
};

// Returns the bytes of tensor `index` of the plan (exactly its nbytes()).
using TensorProducer = std::function<Result<std::vector<std::byte>>(std::size_t index)>;

// The bytes writeSafetensorsFile writes for `tensors`: the length word, the header, the data.
std::uint64_t safetensorsFileBytes(const std::vector<PlannedTensor>& tensors);

Result<void> writeSafetensorsFile(const std::filesystem::path& path,
                                  const std::vector<PlannedTensor>& tensors,
                                  const TensorProducer& produce);

}  // namespace atelier::engine
