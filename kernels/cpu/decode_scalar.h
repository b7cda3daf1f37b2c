#pragma once
// Scalar decoding of the stored element formats, shared by the reference kernels and the
// SIMD kernels' tails. Internal to kernels/cpu. Thread-safe: pure functions.

#include <cmath>
#include <cstdint>
#include <cstring>

namespace atelier::kernels::detail {
// Internal linkage: the SIMD files include this with other target flags (no ODR merging).
namespace {

inline float bitsToFloat(std::uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

inline float bf16Value(std::uint16_t h) { return bitsToFloat(std::uint32_t(h) << 16); }

inline float f16Value(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
    const std::uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    if (exp == 0) {  // zero or subnormal: mant · 2^−24, exact in f32
        const float v = std::ldexp(float(mant), -24);
        return sign ? -v : v;
    }
    if (exp == 31) return bitsToFloat(sign | 0x7f800000u | (mant << 13));
    return bitsToFloat(sign | ((exp + 127 - 15) << 23) | (mant << 13));
}

// FP8 e4m3fn: bias 7, no infinities, 0x7f/0xff NaN.
inline float e4m3Value(std::uint8_t b) {
    if ((b & 0x7f) == 0x7f) return NAN;
    const int exp = (b >> 3) & 15, man = b & 7;
    const float v = exp == 0 ? std::ldexp(float(man) / 8.0f, -6)
                             : std::ldexp(1.0f + float(man) / 8.0f, exp - 7);
    return (b & 0x80) ? -v : v;
}

// UE8M0: 2^(b − 127); 0xff NaN.
inline float e8m0Value(std::uint8_t b) { return b == 255 ? NAN : std::ldexp(1.0f, int(b) - 127); }

// FP4 E2M1 codes: 0..7 = {0, .5, 1, 1.5, 2, 3, 4, 6}, 8..15 the negatives.
inline float e2m1Value(std::uint8_t code) {
    static constexpr float kMags[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    const float v = kMags[code & 7];
    return (code & 8) ? -v : v;
}

inline std::uint16_t loadU16(const void* p) {
    std::uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

// Block layouts of the ggml formats (32 elements each).
inline constexpr std::int64_t kQ8_0BlockBytes = 34;   // f16 d, int8 q[32]
inline constexpr std::int64_t kMxfp4BlockBytes = 17;  // e8m0, 16 bytes of nibbles

}  // namespace
}  // namespace atelier::kernels::detail
