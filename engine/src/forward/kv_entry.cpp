#include "atelier/engine/kv_entry.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "atelier/engine/dtype.h"
#include "atelier/kernels/kernel_table.h"

namespace atelier::engine {
namespace {

// 2^ceil(log2(v)) for v > 0, exactly (no log2 rounding at powers of two).
float powerOfTwoCeil(float v) {
    int e = 0;
    const float m = std::frexp(v, &e);  // v = m · 2^e, m in [0.5, 1)
    return m == 0.5f ? std::ldexp(1.0f, e - 1) : std::ldexp(1.0f, e);
}

float blockAmax(const float* x, std::int64_t n) {
    float a = 0;
    for (std::int64_t i = 0; i < n; ++i) a = std::max(a, std::fabs(x[i]));
    return a;
}

float fp4Scale(float amax) { return powerOfTwoCeil(std::max(amax, 6.0f * 0x1p-126f) / 6.0f); }

std::uint8_t toE2m1(float v, float s) { return f32ToE2m1(std::clamp(v / s, -6.0f, 6.0f)); }

}  // namespace

void packEntry(const kernels::KernelTable& k, const float* e, const EntryFormat& f,
               std::uint8_t* data, std::uint8_t* footer) {
    std::memset(footer, 0, std::size_t(f.footerBytes()));
    k.fp8Quant(e, f.nope, 64, data, footer);
    for (int i = 0; i < f.rope; ++i) {
        const std::uint16_t h = f32ToBf16(e[f.nope + i]);
        std::memcpy(data + f.nope + 2 * i, &h, 2);
    }
}

void unpackEntry(const kernels::KernelTable& k, const std::uint8_t* data,
                 const std::uint8_t* footer, const EntryFormat& f, float* e) {
    k.fp8Dequant(data, footer, f.nope, 64, e);
    for (int i = 0; i < f.rope; ++i) {
        std::uint16_t h;
        std::memcpy(&h, data + f.nope + 2 * i, 2);
        e[f.nope + i] = bf16ToF32(h);
    }
}

void packIndexerKey(const float* k, int dim, std::uint8_t* out) {
    std::uint8_t* scales = out + dim / 2;
    for (int b = 0; b < dim / 32; ++b) {
        const float s = fp4Scale(blockAmax(k + 32 * b, 32));
        scales[b] = f32PowerOfTwoToE8m0(s);
        for (int i = 0; i < 16; ++i) {
            const int j = 32 * b + 2 * i;
            out[j / 2] = std::uint8_t(toE2m1(k[j], s) | (toE2m1(k[j + 1], s) << 4));
        }
    }
}

void unpackIndexerKey(const kernels::KernelTable& k, const std::uint8_t* in, int dim, float* key) {
    // One scale per 32-block after the dim/2 code bytes (read for every key, every decode step).
    k.fp4Dequant(in, in + dim / 2, dim, key);
}

void quantizeIndexerQuery(const float* q, int dim, std::int8_t* codes, float* scales) {
    // Each step of a decode rounds nI · cI query elements (8192 per CSA layer), so this is the
    // E2M1 rounding of toE2m1 without its search and branches, in a form the compiler turns
    // into vector code. Twice the E2M1 grid is 0 … 4 in steps of 1, then 6, 8, 12: x = 2·|v|
    // rounds to the nearest integer up to 4, the nearest even one up to 8, the nearest multiple
    // of 4 above, each with ties to even, which are exactly toE2m1's ties to the even code.
    // Rounding to an integer is (x + 2^23) − 2^23 (x < 2^22, round-to-nearest-even mode).
    constexpr float kRound = 0x1p23f;
    for (int b = 0; b < dim / 32; ++b) {
        const float s = fp4Scale(blockAmax(q + 32 * b, 32));
        scales[b] = s;
        // A power of two from 2^-126 to 2^126 (or inf), so q · (1/s) is q / s, rounded once.
        const float inv = 1.0f / s;
        for (int i = 32 * b; i < 32 * b + 32; ++i) {
            const float v = q[i] * inv;
            const float x = 2.0f * std::min(std::fabs(v), 6.0f);  // NaN stays NaN
            const float r1 = (x + kRound) - kRound;
            const float r2 = 2.0f * ((0.5f * x + kRound) - kRound);
            const float r4 = 4.0f * ((0.25f * x + kRound) - kRound);
            const float d = x <= 4.0f ? r1 : x <= 8.0f ? r2 : x <= 12.0f ? r4 : 0.0f;  // NaN: 0
            const auto c = std::int8_t(d);
            codes[i] = std::signbit(v) ? std::int8_t(-c) : c;
        }
    }
}

void simulateFp8Activations(const kernels::KernelTable& k, float* x, std::int64_t n) {
    k.fp8Simulate(x, n, 128);
}

void simulateFp4(float* x, std::int64_t n) {
    for (std::int64_t b = 0; b < n; b += 32) {
        const std::int64_t len = std::min<std::int64_t>(32, n - b);
        const float s = fp4Scale(blockAmax(x + b, len));
        for (std::int64_t i = b; i < b + len; ++i) x[i] = e2m1ToF32(toE2m1(x[i], s)) * s;
    }
}

void roundToBf16(const kernels::KernelTable& k, float* x, std::int64_t n) { k.roundBf16(x, n); }

void hadamardTransform(float* x, int n) {
    for (int h = 1; h < n; h *= 2)
        for (int i = 0; i < n; i += 2 * h)
            for (int j = i; j < i + h; ++j) {
                const float a = x[j], b = x[j + h];
                x[j] = a + b;
                x[j + h] = a - b;
            }
    const float scale = 1.0f / std::sqrt(float(n));
    for (int i = 0; i < n; ++i) x[i] *= scale;
}

}  // namespace atelier::engine
