#include "atelier/engine/dtype.h"

#include <cmath>
#include <limits>

#include "atelier/kernels/gemm_quant.h"
#include "atelier/kernels/kernel_table.h"

namespace atelier::engine {

namespace {

using kernels::QuantType;

struct QuantPair {
    DType dtype;
    QuantType quant;
};
constexpr QuantPair kQuantPairs[] = {
    {DType::Q4_0, QuantType::Q4_0},       {DType::Q4_1, QuantType::Q4_1},
    {DType::Q5_0, QuantType::Q5_0},       {DType::Q5_1, QuantType::Q5_1},
    {DType::IQ4_NL, QuantType::IQ4_NL},   {DType::Q3_K, QuantType::Q3_K},
    {DType::IQ4_XS, QuantType::IQ4_XS},   {DType::IQ3_S, QuantType::IQ3_S},
    {DType::IQ3_XXS, QuantType::IQ3_XXS}, {DType::IQ2_S, QuantType::IQ2_S},
    {DType::IQ2_XS, QuantType::IQ2_XS},   {DType::IQ2_XXS, QuantType::IQ2_XXS},
    {DType::IQ1_M, QuantType::IQ1_M},     {DType::IQ1_S, QuantType::IQ1_S},
};

using kernels::MatmulFormat;

struct MatmulPair {
    DType dtype;
    MatmulFormat format;
};
// The formats outside gemm_quant.h's table (those follow from dtypeQuantType).
constexpr MatmulPair kMatmulPairs[] = {
    {DType::F32, MatmulFormat::F32},         {DType::BF16, MatmulFormat::BF16},
    {DType::F16, MatmulFormat::F16},         {DType::F8_E4M3, MatmulFormat::E4M3},
    {DType::E2M1x2, MatmulFormat::E2M1},     {DType::Q8_0, MatmulFormat::Q8_0},
    {DType::MXFP4, MatmulFormat::MXFP4},     {DType::Q4_K, MatmulFormat::Q4_K},
    {DType::Q5_K, MatmulFormat::Q5_K},       {DType::Q6_K, MatmulFormat::Q6_K},
    {DType::Q2_K, MatmulFormat::Q2_K},
};

}  // namespace

bool dtypeMatmulFormat(DType t, kernels::MatmulFormat& out) {
    for (const MatmulPair& p : kMatmulPairs)
        if (p.dtype == t) {
            out = p.format;
            return true;
        }
    if (QuantType q; dtypeQuantType(t, q)) {
        out = kernels::matmulFormat(q);
        return true;
    }
    return false;
}

bool dtypeQuantType(DType t, kernels::QuantType& out) {
    for (const QuantPair& p : kQuantPairs)
        if (p.dtype == t) {
            out = p.quant;
            return true;
        }
    return false;
}

DType dtypeOf(kernels::QuantType t) {
    for (const QuantPair& p : kQuantPairs)
        if (p.quant == t) return p.dtype;
    return DType::F32;
}

std::string_view dtypeName(DType t) {
    if (QuantType q; dtypeQuantType(t, q)) return kernels::quantFormat(q).name;
    switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::F8_E4M3: return "F8_E4M3";
    case DType::F8_E8M0: return "F8_E8M0";
    case DType::E2M1x2: return "E2M1x2";
    case DType::I32: return "I32";
    case DType::I64: return "I64";
    case DType::Q8_0: return "Q8_0";
    case DType::MXFP4: return "MXFP4";
    case DType::U8: return "U8";
    case DType::F64: return "F64";
    case DType::Q4_K: return "Q4_K";
    case DType::Q6_K: return "Q6_K";
    case DType::Q2_K: return "Q2_K";
    case DType::Q5_K: return "Q5_K";
    default: return "?";
    }
}

int dtypeBlockSize(DType t) {
    if (QuantType q; dtypeQuantType(t, q)) return kernels::quantFormat(q).blockElems;
    switch (t) {
    case DType::Q8_0:
    case DType::MXFP4: return 32;
    case DType::Q4_K:
    case DType::Q6_K:
    case DType::Q2_K:
    case DType::Q5_K: return 256;
    default: return 1;
    }
}

std::size_t dtypeRowBytes(DType t, std::int64_t n) {
    const auto un = static_cast<std::size_t>(n);
    if (QuantType q; dtypeQuantType(t, q)) {
        const kernels::QuantFormat& f = kernels::quantFormat(q);
        return un / std::size_t(f.blockElems) * std::size_t(f.blockBytes);
    }
    switch (t) {
    case DType::F64:
    case DType::I64: return un * 8;
    case DType::F32:
    case DType::I32: return un * 4;
    case DType::F16:
    case DType::BF16: return un * 2;
    case DType::F8_E4M3:
    case DType::F8_E8M0:
    case DType::E2M1x2:
    case DType::U8: return un;
    case DType::Q8_0: return un / 32 * 34;
    case DType::MXFP4: return un / 32 * 17;
    case DType::Q4_K: return un / 256 * 144;
    case DType::Q6_K: return un / 256 * 210;
    case DType::Q2_K: return un / 256 * 84;
    case DType::Q5_K: return un / 256 * 176;
    default: return 0;
    }
}

float f16ToF32(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
    std::uint32_t exp = (h >> 10) & 0x1fu;
    std::uint32_t mant = h & 0x3ffu;
    std::uint32_t u;
    if (exp == 0) {
        if (mant == 0) {
            u = sign;
        } else {  // subnormal: normalise
            int e = -1;
            do {
                ++e;
                mant <<= 1;
            } while ((mant & 0x400u) == 0);
            mant &= 0x3ffu;
            u = sign | (std::uint32_t(127 - 15 - e) << 23) | (mant << 13);
        }
    } else if (exp == 31) {
        u = sign | 0x7f800000u | (mant << 13);
    } else {
        u = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

std::uint16_t f32ToF16(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    const std::uint16_t sign = std::uint16_t((u >> 16) & 0x8000u);
    const std::uint32_t absu = u & 0x7fffffffu;
    if (absu > 0x7f800000u) return sign | 0x7e00u;  // NaN
    if (absu >= 0x477ff000u) return sign | 0x7c00u;  // rounds to inf
    if (absu < 0x38800000u) {                        // subnormal or zero in f16
        if (absu < 0x33000000u) return sign;         // below half the smallest subnormal
        const int e = int(absu >> 23);
        std::uint32_t m = (absu & 0x7fffffu) | 0x800000u;
        const int shift = 126 - e;  // value = m * 2^(e-150); in units of 2^-24: m >> (126-e)
        const std::uint32_t rem = m & ((1u << shift) - 1u);
        const std::uint32_t half = 1u << (shift - 1);
        std::uint32_t r = m >> shift;
        if (rem > half || (rem == half && (r & 1u))) ++r;
        return sign | std::uint16_t(r);
    }
    std::uint32_t r = absu - 0x38000000u;  // rebias exponent 127 -> 15
    r += 0xfffu + ((r >> 13) & 1u);
    return sign | std::uint16_t(r >> 13);
}

float e4m3ToF32(std::uint8_t b) {
    const bool neg = b & 0x80u;
    const int exp = (b >> 3) & 0xf;
    const int mant = b & 0x7;
    float v;
    if (exp == 0xf && mant == 0x7) {
        v = std::numeric_limits<float>::quiet_NaN();
    } else if (exp == 0) {
        v = std::ldexp(float(mant), -9);  // subnormal: mant/8 * 2^-6
    } else {
        v = std::ldexp(1.0f + float(mant) / 8.0f, exp - 7);
    }
    return neg ? -v : v;
}

std::uint8_t f32ToE4m3(float f) {
    if (std::isnan(f)) return 0x7f;
    const std::uint8_t sign = std::signbit(f) ? 0x80 : 0x00;
    float a = std::fabs(f);
    if (a >= 448.0f) return sign | 0x7e;  // saturate to the largest finite value
    // Candidates are spaced by 2^(e-3) within binade e; subnormal spacing 2^-9.
    int e;
    std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
    int unbiased = e - 1;
    if (unbiased < -6) unbiased = -6;
    const float step = std::ldexp(1.0f, unbiased - 3);
    float q = std::nearbyint(a / step);  // nearbyint rounds half to even in the default mode
    float r = q * step;
    // Encode r exactly.
    if (r == 0.0f) return sign;
    int re;
    std::frexp(r, &re);
    int rexp = re - 1;
    if (rexp < -6) {  // subnormal
        return sign | std::uint8_t(int(r / std::ldexp(1.0f, -9)));
    }
    const int biased = rexp + 7;
    const int mant = int(std::ldexp(r, -rexp) * 8.0f) - 8;
    return sign | std::uint8_t(biased << 3) | std::uint8_t(mant);
}

float e8m0ToF32(std::uint8_t b) {
    if (b == 0xff) return std::numeric_limits<float>::quiet_NaN();
    return std::ldexp(1.0f, int(b) - 127);
}

std::uint8_t f32PowerOfTwoToE8m0(float pow2) {
    int e;
    std::frexp(pow2, &e);  // pow2 = 0.5 * 2^e
    int b = e - 1 + 127;
    if (b < 0) b = 0;
    if (b > 254) b = 254;
    return std::uint8_t(b);
}

float e2m1ToF32(std::uint8_t code) {
    static constexpr float kValues[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    const float v = kValues[code & 7u];
    return (code & 8u) ? -v : v;
}

std::uint8_t f32ToE2m1(float f) {
    const std::uint8_t sign = std::signbit(f) ? 8 : 0;
    float a = std::fabs(f);
    if (std::isnan(a)) return 0;
    // Round to nearest, ties to the even code (codes with an even mantissa bit).
    static constexpr float kValues[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    if (a >= 6.0f) return sign | 7;
    int best = 0;
    for (int i = 1; i < 8; ++i) {
        if (a >= kValues[i]) best = i;
    }
    if (best == 7) return sign | 7;
    const float lo = kValues[best], hi = kValues[best + 1];
    const float mid = 0.5f * (lo + hi);
    int code = best;
    if (a > mid || (a == mid && (best & 1))) code = best + 1;
    return sign | std::uint8_t(code);
}

}  // namespace atelier::engine
