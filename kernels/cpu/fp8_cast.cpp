// The fp8_cast kernels at activeIsaLevel(): the slots of cpuKernels(). The AVX-512 table holds
// the AVX2 bodies: these casts are a small share of a step, and one body keeps them
// bit-identical on every CPU.

#include "atelier/kernels/fp8_cast.h"

#include "atelier/kernels/kernel_table.h"

namespace atelier::kernels {

void fp8_quant_e4m3_f32(const float* x, std::int64_t n, int block, std::uint8_t* codes,
                        std::uint8_t* scales) {
    cpuKernels().fp8Quant(x, n, block, codes, scales);
}

void fp8_dequant_e4m3_f32(const std::uint8_t* codes, const std::uint8_t* scales, std::int64_t n,
                          int block, float* x) {
    cpuKernels().fp8Dequant(codes, scales, n, block, x);
}

void fp8_simulate_e4m3_f32(float* x, std::int64_t n, int block) {
    cpuKernels().fp8Simulate(x, n, block);
}

void round_bf16_f32(float* x, std::int64_t n) { cpuKernels().roundBf16(x, n); }

void fp4_dequant_e2m1_f32(const std::uint8_t* pairs, const std::uint8_t* scales, std::int64_t n,
                          float* x) {
    cpuKernels().fp4Dequant(pairs, scales, n, x);
}

}  // namespace atelier::kernels
