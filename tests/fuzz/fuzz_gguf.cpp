// libFuzzer target for the GGUF parser and the deepseek4 metadata mapping: any input must give
// a parsed file or an error value, never a crash, a hang or an out-of-bounds read.
// Run: build-fuzz/fuzz/fuzz_gguf -max_total_time=20 [corpus dir]

#include <cstddef>
#include <cstdint>
#include <span>

#include "model_io/gguf_deepseek4.h"
#include "model_io/gguf_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace atelier::engine;
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    auto file = gguf::parse(bytes, "fuzz.gguf");
    if (!file) return 0;
    // Touch every tensor's bytes so that an offset the parser let through would be caught.
    volatile std::uint8_t sink = 0;
    for (const auto& t : file->tensors)
        if (t.nbytes > 0) sink = sink + std::uint8_t(file->tensorData(t)[t.nbytes - 1]);
    if (auto config = gguf::configFromGguf(*file)) (void)gguf::tensorPlan(*config);
    (void)gguf::vocabularyFromGguf(*file);
    return 0;
}
