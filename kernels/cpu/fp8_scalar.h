#pragma once
// Scalar FP8 E4M3 and BF16 element casts of the fp8_cast kernels, shared by the reference and
// the SIMD levels (for blocks holding NaN or infinity). Internal to kernels/cpu; the same
// arithmetic as the engine's dtype.cpp. Thread-safe: pure functions.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace atelier::kernels::detail {
// Internal linkage: the SIMD files include this with other target flags (no ODR merging).
namespace {

// 2^ceil(log2(v)) for v > 0, exactly (no log2 rounding at powers of two).
inline float powerOfTwoCeil(float v) {
    int e = 0;
    const float m = std::frexp(v, &e);  // v = m · 2^e, m in [0.5, 1)
    return m == 0.5f ? std::ldexp(1.0f, e - 1) : std::ldexp(1.0f, e);
}

inline float fp8BlockScale(const float* x, std::int64_t n) {
    float a = 0;
    for (std::int64_t i = 0; i < n; ++i) a = std::max(a, std::fabs(x[i]));
    return powerOfTwoCeil(std::max(a, 1e-4f) / 448.0f);
}

// The UE8M0 byte of a power of two.
inline std::uint8_t powerOfTwoToE8m0(float pow2) {
    int e;
    std::frexp(pow2, &e);  // pow2 = 0.5 · 2^e
    return std::uint8_t(std::clamp(e - 1 + 127, 0, 254));
}

inline float e8m0Scale(std::uint8_t b) {
    if (b == 0xff) return std::numeric_limits<float>::quiet_NaN();
    return std::ldexp(1.0f, int(b) - 127);
}

inline float e4m3ToFloat(std::uint8_t b) {
    const bool neg = b & 0x80u;
    const int exp = (b >> 3) & 0xf, mant = b & 0x7;
    float v;
    if (exp == 0xf && mant == 0x7) v = std::numeric_limits<float>::quiet_NaN();
    else if (exp == 0) v = std::ldexp(float(mant), -9);  // subnormal: mant/8 · 2^−6
    else v = std::ldexp(1.0f + float(mant) / 8.0f, exp - 7);
    return neg ? -v : v;
}

// Round to nearest even, saturating to ±448; NaN → 0x7f.
inline std::uint8_t floatToE4m3(float f) {
    if (std::isnan(f)) return 0x7f;
    const std::uint8_t sign = std::signbit(f) ? 0x80 : 0x00;
    const float a = std::fabs(f);
    if (a >= 448.0f) return sign | 0x7e;
    int e;
    std::frexp(a, &e);  // a = m · 2^e, m in [0.5, 1)
    const int unbiased = std::max(e - 1, -6);
    const float step = std::ldexp(1.0f, unbiased - 3);  // code spacing in this binade
    const float r = std::nearbyint(a / step) * step;
    if (r == 0.0f) return sign;
    int re;
    std::frexp(r, &re);
    const int rexp = re - 1;
    if (rexp < -6) return sign | std::uint8_t(int(r / std::ldexp(1.0f, -9)));  // subnormal
    const int mant = int(std::ldexp(r, -rexp) * 8.0f) - 8;
    return sign | std::uint8_t((rexp + 7) << 3) | std::uint8_t(mant);
}

inline std::uint8_t toE4m3Scaled(float v, float s) {
    return floatToE4m3(std::clamp(v / s, -448.0f, 448.0f));
}

// x [n] ← e4m3(x / s) · s with the block's own scale.
inline void simulateBlock(float* x, std::int64_t n) {
    const float s = fp8BlockScale(x, n);
    for (std::int64_t i = 0; i < n; ++i) x[i] = e4m3ToFloat(toE4m3Scaled(x[i], s)) * s;
}

inline float roundBf16(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) u = (u | 0x00400000u) & 0xffff0000u;
    else u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
    float r;
    std::memcpy(&r, &u, 4);
    return r;
}

}  // namespace
}  // namespace atelier::kernels::detail
