// libFuzzer target for the safetensors header parser: any byte string must give a header or
// an error value, never a crash, a hang or an out-of-bounds read; an accepted header's
// entries must lie inside the buffer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "model_io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    auto header = atelier::engine::parseSafetensors(bytes, "fuzz.safetensors");
    if (!header) return 0;
    std::uint64_t end = header->dataOffset;
    for (const auto& t : header->tensors) {
        if (t.offset < end || t.offset + t.nbytes > size) std::abort();  // overlap or overrun
        // Touch the first and last byte: ASan flags anything outside the buffer.
        if (t.nbytes > 0 && (std::to_integer<int>(bytes[t.offset]) |
                             std::to_integer<int>(bytes[t.offset + t.nbytes - 1])) > 255)
            std::abort();
        end = t.offset + t.nbytes > end ? t.offset + t.nbytes : end;
    }
    return 0;
}
