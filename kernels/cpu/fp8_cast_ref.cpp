// Scalar FP8 E4M3 block casts and BF16 rounding: the reference the SIMD levels must match bit
// for bit. The element functions follow the engine's dtype.cpp exactly (frexp/ldexp, nearbyint
// in the default rounding mode: nearest even).

#include <algorithm>
#include <cmath>
#include <cstring>

#include "atelier/kernels/fp8_cast.h"
#include "cpu/fp8_scalar.h"

namespace atelier::kernels {

void fp8_quant_e4m3_f32_ref(const float* x, std::int64_t n, int block, std::uint8_t* codes,
                            std::uint8_t* scales) {
    for (std::int64_t b = 0; b < n; b += block) {
        const std::int64_t len = std::min<std::int64_t>(block, n - b);
        const float s = detail::fp8BlockScale(x + b, len);
        scales[b / block] = detail::powerOfTwoToE8m0(s);
        for (std::int64_t i = b; i < b + len; ++i) codes[i] = detail::toE4m3Scaled(x[i], s);
    }
}

void fp8_dequant_e4m3_f32_ref(const std::uint8_t* codes, const std::uint8_t* scales,
                              std::int64_t n, int block, float* x) {
    for (std::int64_t b = 0; b < n; b += block) {
        const std::int64_t len = std::min<std::int64_t>(block, n - b);
        const float s = detail::e8m0Scale(scales[b / block]);
        for (std::int64_t i = b; i < b + len; ++i) x[i] = detail::e4m3ToFloat(codes[i]) * s;
    }
}

void fp8_simulate_e4m3_f32_ref(float* x, std::int64_t n, int block) {
    for (std::int64_t b = 0; b < n; b += block) {
        const std::int64_t len = std::min<std::int64_t>(block, n - b);
        detail::simulateBlock(x + b, len);
    }
}

void round_bf16_f32_ref(float* x, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) x[i] = detail::roundBf16(x[i]);
}

void fp4_dequant_e2m1_f32_ref(const std::uint8_t* pairs, const std::uint8_t* scales,
                              std::int64_t n, float* x) {
    static constexpr float kMags[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    auto value = [](int code) { return (code & 8) ? -kMags[code & 7] : kMags[code & 7]; };
    for (std::int64_t i = 0; i < n; i += 2) {
        const float s = detail::e8m0Scale(scales[i / 32]);
        x[i] = value(pairs[i / 2] & 15) * s;
        x[i + 1] = value(pairs[i / 2] >> 4) * s;
    }
}

}  // namespace atelier::kernels
