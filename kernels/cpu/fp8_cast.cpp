// Dispatch of the fp8_cast kernels. The AVX-512 level runs the AVX2 bodies: these casts are a
// small share of a step, and one body keeps them bit-identical on every CPU.

#include "atelier/kernels/fp8_cast.h"

#include "atelier/kernels/cpu_features.h"

namespace atelier::kernels {
namespace {

bool simd() {
#if defined(__x86_64__)
    const IsaLevel level = activeIsaLevel();
    return level == IsaLevel::Avx2 || level == IsaLevel::Avx512;
#else
    return false;
#endif
}

}  // namespace

void fp8_quant_e4m3_f32(const float* x, std::int64_t n, int block, std::uint8_t* codes,
                        std::uint8_t* scales) {
#if defined(__x86_64__)
    if (simd()) return fp8_quant_e4m3_f32_avx2(x, n, block, codes, scales);
#endif
    fp8_quant_e4m3_f32_ref(x, n, block, codes, scales);
}

void fp8_dequant_e4m3_f32(const std::uint8_t* codes, const std::uint8_t* scales, std::int64_t n,
                          int block, float* x) {
#if defined(__x86_64__)
    if (simd()) return fp8_dequant_e4m3_f32_avx2(codes, scales, n, block, x);
#endif
    fp8_dequant_e4m3_f32_ref(codes, scales, n, block, x);
}

void fp8_simulate_e4m3_f32(float* x, std::int64_t n, int block) {
#if defined(__x86_64__)
    if (simd()) return fp8_simulate_e4m3_f32_avx2(x, n, block);
#endif
    fp8_simulate_e4m3_f32_ref(x, n, block);
}

void round_bf16_f32(float* x, std::int64_t n) {
#if defined(__x86_64__)
    if (simd()) return round_bf16_f32_avx2(x, n);
#endif
    round_bf16_f32_ref(x, n);
}

void fp4_dequant_e2m1_f32(const std::uint8_t* pairs, const std::uint8_t* scales, std::int64_t n,
                          float* x) {
#if defined(__x86_64__)
    if (simd()) return fp4_dequant_e2m1_f32_avx2(pairs, scales, n, x);
#endif
    fp4_dequant_e2m1_f32_ref(pairs, scales, n, x);
}

}  // namespace atelier::kernels
