// libFuzzer target for the GGUF parser, the deepseek4 metadata mapping and the block decoders:
// any input must give a parsed file or an error value, never a crash, a hang or an
// out-of-bounds read; any bytes a block-format tensor holds decode without reading outside it
// (grid indices, scales and sign bits come straight from the file).
// Run: build-fuzz/fuzz/fuzz_gguf -max_total_time=20 [corpus dir]

#include <cstddef>
#include <cstdint>
#include <span>

#include <vector>

#include "atelier/engine/dtype.h"
#include "atelier/kernels/gemm_quant.h"
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
    // Decode the first row of every tensor in a gemm_quant.h format, and run its reference dot.
    std::vector<float> row;
    std::vector<atelier::kernels::BlockQ8A> a8;
    std::vector<atelier::kernels::BlockQ8K> ak;
    for (const auto& t : file->tensors) {
        DType d;
        atelier::kernels::QuantType q;
        if (!gguf::ggmlToDType(t.type, d) || !dtypeQuantType(d, q) || t.ne.empty()) continue;
        const auto& f = atelier::kernels::quantFormat(q);
        const std::int64_t cols = t.ne[0];
        const std::uint64_t rowBytes = std::uint64_t(cols / f.blockElems) * std::uint64_t(f.blockBytes);
        if (cols <= 0 || cols > (1 << 16) || rowBytes > t.nbytes) continue;
        const auto* w = reinterpret_cast<const std::uint8_t*>(file->tensorData(t));
        row.assign(std::size_t(cols), 0.0f);
        f.dequantRow(w, cols, row.data());
        const std::int64_t nb = cols / f.blockElems;
        if (f.activation == atelier::kernels::ActivationBlock::Q8A) {
            a8.assign(std::size_t(nb), atelier::kernels::BlockQ8A{1.0f, {}});
            sink = sink + std::uint8_t(
                atelier::kernels::quantDot(q, atelier::kernels::activeIsaLevel()).q8a(w, a8.data(), nb) > 0);
        } else {
            ak.assign(std::size_t(nb), atelier::kernels::BlockQ8K{1.0f, {}, {}});
            sink = sink + std::uint8_t(
                atelier::kernels::quantDot(q, atelier::kernels::activeIsaLevel()).q8k(w, ak.data(), nb) > 0);
        }
    }
    if (auto config = gguf::configFromGguf(*file)) (void)gguf::tensorPlan(*config);
    (void)gguf::vocabularyFromGguf(*file);
    return 0;
}
