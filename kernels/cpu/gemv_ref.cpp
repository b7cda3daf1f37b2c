#include "atelier/kernels/gemv_ref.h"

#include <array>
#include <cmath>
#include <cstring>

namespace atelier::kernels {
namespace {

float bf16(std::uint16_t h) {
    const std::uint32_t u = std::uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// FP8 E4M3 (fn: bias 7, no infinities, 0x7f/0xff NaN) and UE8M0 decoding tables.
struct Tables {
    std::array<float, 256> e4m3{};
    std::array<float, 256> e8m0{};
    std::array<float, 16> e2m1{};
    Tables() {
        for (int b = 0; b < 256; ++b) {
            const int sign = b >> 7, exp = (b >> 3) & 15, man = b & 7;
            float v;
            if ((b & 0x7f) == 0x7f) v = NAN;
            else if (exp == 0) v = std::ldexp(float(man) / 8.0f, -6);
            else v = std::ldexp(1.0f + float(man) / 8.0f, exp - 7);
            e4m3[std::size_t(b)] = sign ? -v : v;
            e8m0[std::size_t(b)] = b == 255 ? NAN : std::ldexp(1.0f, b - 127);
        }
        const float mags[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
        for (int c = 0; c < 16; ++c) e2m1[std::size_t(c)] = c < 8 ? mags[c] : -mags[c - 8];
    }
};
const Tables& tables() {
    static const Tables t;
    return t;
}

// y[t, r] = row · x[t] for every token of the batch.
void dotBatch(const float* row, std::int64_t cols, const float* x, std::int64_t T, float* y,
              std::int64_t ldy) {
    for (std::int64_t t = 0; t < T; ++t) y[t * ldy] = dot_f32_ref(row, x + t * cols, cols);
}

}  // namespace

float dot_f32_ref(const float* a, const float* b, std::int64_t n) {
    // Four partial sums: fewer dependent adds, same result for any fixed n.
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; ++i) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

void gemm_f32_ref(const float* w, std::int64_t cols, std::int64_t rowBegin, std::int64_t rowEnd,
                  const float* x, std::int64_t T, float* y, std::int64_t ldy) {
    for (std::int64_t r = rowBegin; r < rowEnd; ++r)
        dotBatch(w + r * cols, cols, x, T, y + (r - rowBegin), ldy);
}

void gemm_bf16_ref(const std::uint16_t* w, std::int64_t cols, std::int64_t rowBegin,
                   std::int64_t rowEnd, const float* x, std::int64_t T, float* y,
                   std::int64_t ldy, float* rowScratch) {
    for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
        const std::uint16_t* p = w + r * cols;
        for (std::int64_t i = 0; i < cols; ++i) rowScratch[i] = bf16(p[i]);
        dotBatch(rowScratch, cols, x, T, y + (r - rowBegin), ldy);
    }
}

void gemm_e4m3_ref(const std::uint8_t* w, const std::uint8_t* scale, std::int64_t cols,
                   std::int64_t rowBegin, std::int64_t rowEnd, const float* x, std::int64_t T,
                   float* y, std::int64_t ldy, float* rowScratch) {
    const Tables& tb = tables();
    const std::int64_t scaleCols = (cols + 127) / 128;
    for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
        const std::uint8_t* p = w + r * cols;
        const std::uint8_t* s = scale + (r / 128) * scaleCols;
        for (std::int64_t i = 0; i < cols; ++i)
            rowScratch[i] = tb.e4m3[p[i]] * tb.e8m0[s[i / 128]];
        dotBatch(rowScratch, cols, x, T, y + (r - rowBegin), ldy);
    }
}

void gemm_e2m1_ref(const std::uint8_t* w, const std::uint8_t* scale, std::int64_t cols,
                   std::int64_t rowBegin, std::int64_t rowEnd, const float* x, std::int64_t T,
                   float* y, std::int64_t ldy, float* rowScratch) {
    const Tables& tb = tables();
    for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
        const std::uint8_t* p = w + r * (cols / 2);
        const std::uint8_t* s = scale + r * (cols / 32);
        for (std::int64_t i = 0; i < cols / 2; ++i) {
            const float sc = tb.e8m0[s[i / 16]];
            rowScratch[2 * i] = tb.e2m1[p[i] & 0x0f] * sc;
            rowScratch[2 * i + 1] = tb.e2m1[p[i] >> 4] * sc;
        }
        dotBatch(rowScratch, cols, x, T, y + (r - rowBegin), ldy);
    }
}

}  // namespace atelier::kernels
