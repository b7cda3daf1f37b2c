#pragma once
// Field offsets of the K-quant super-blocks (layouts in gemm_kquant.h) and the scalar helpers
// the reference and SIMD kernels share. Internal to the kernels library. Thread-safe.

#include <cmath>
#include <cstdint>
#include <cstring>

namespace atelier::kernels::kq {

// Q4_K: d, dmin, scales[12], qs[128]
inline constexpr int kQ4KScales = 4, kQ4KQs = 16, kQ4KBytes = 144;
// Q5_K: d, dmin, scales[12] (as Q4_K), qh[32], qs[128]
inline constexpr int kQ5KScales = 4, kQ5KQh = 16, kQ5KQs = 48, kQ5KBytes = 176;
// Q6_K: ql[128], qh[64], scales[16], d
inline constexpr int kQ6KQh = 128, kQ6KScales = 192, kQ6KD = 208, kQ6KBytes = 210;
// Q2_K: scales[16], qs[64], d, dmin
inline constexpr int kQ2KQs = 16, kQ2KD = 80, kQ2KDmin = 82, kQ2KBytes = 84;

// IEEE half -> float, exact (subnormals included).
inline float halfToFloat(const std::uint8_t* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
    std::uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, u;
    if (exp == 0) {
        if (mant == 0) {
            u = sign;
        } else {  // subnormal: normalise
            int e = -1;
            do { ++e; mant <<= 1; } while ((mant & 0x400u) == 0);
            u = sign | (std::uint32_t(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        u = sign | 0x7f800000u | (mant << 13);
    } else {
        u = sign | ((exp + 112u) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// Float -> IEEE half bits, round to nearest even (subnormals included), for the quantizers'
// block scales: a finite value past the half range saturates to +-65504 (a scale must stay
// finite), NaN stays NaN.
inline std::uint16_t floatToHalf(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    const auto sign = std::uint16_t((u >> 16) & 0x8000u);
    u &= 0x7fffffffu;
    if (u > 0x7f800000u) return std::uint16_t(sign | 0x7e00u);
    if (u >= 0x477ff000u) return std::uint16_t(sign | 0x7bffu);
    if (u < 0x38800000u) {  // below 2^-14: a multiple of 2^-24 (scaling by 2^24 is exact)
        float a;
        std::memcpy(&a, &u, 4);
        return std::uint16_t(sign | std::uint16_t(std::nearbyint(a * 16777216.0f)));
    }
    u -= 112u << 23;  // rebias the exponent (127 -> 15); a mantissa carry rolls into it
    return std::uint16_t(sign | ((u + 0xfffu + ((u >> 13) & 1u)) >> 13));
}

// The eight 6-bit scales and mins of a Q4_K (or Q5_K) super-block: bytes 0-3 hold scales 0-3 in
// their low six bits, 4-7 mins 0-3, 8-11 the low four bits of scales 4-7 (low nibble) and mins
// 4-7 (high nibble), whose top two bits are the top bits of bytes 0-3 (scales) and 4-7 (mins).
// Four bytes at a time (little-endian words).
inline void unpackQ4KScales(const std::uint8_t* s, std::uint8_t sc[8], std::uint8_t m[8]) {
    std::uint32_t u0, u1, u2;
    std::memcpy(&u0, s, 4);
    std::memcpy(&u1, s + 4, 4);
    std::memcpy(&u2, s + 8, 4);
    const std::uint32_t six = 0x3f3f3f3fu, four = 0x0f0f0f0fu, two = 0x03030303u;
    const std::uint32_t w[4] = {u0 & six, u1 & six, (u2 & four) | (((u0 >> 6) & two) << 4),
                                ((u2 >> 4) & four) | (((u1 >> 6) & two) << 4)};
    std::memcpy(sc, &w[0], 4);
    std::memcpy(m, &w[1], 4);
    std::memcpy(sc + 4, &w[2], 4);
    std::memcpy(m + 4, &w[3], 4);
}

}  // namespace atelier::kernels::kq
