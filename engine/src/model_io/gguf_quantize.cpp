#include "gguf_quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "atelier/engine/dtype.h"

namespace atelier::engine::gguf {

float blockScalePow2(float amax, float maxCode) {
    if (!(amax > 0.0f) || !std::isfinite(amax)) return 1.0f;
    int e = 0;
    const float m = std::frexp(amax / maxCode, &e);  // amax/maxCode = m * 2^e, m in [0.5, 1)
    return std::ldexp(1.0f, m == 0.5f ? e - 1 : e);
}

void roundTripFp8Blocks(float* m, std::int64_t rows, std::int64_t cols) {
    for (std::int64_t r0 = 0; r0 < rows; r0 += 128) {
        const std::int64_t r1 = std::min(rows, r0 + 128);
        for (std::int64_t c0 = 0; c0 < cols; c0 += 128) {
            const std::int64_t c1 = std::min(cols, c0 + 128);
            float amax = 0.0f;
            for (std::int64_t r = r0; r < r1; ++r)
                for (std::int64_t c = c0; c < c1; ++c) amax = std::max(amax, std::fabs(m[r * cols + c]));
            const float s = blockScalePow2(amax, 448.0f);
            for (std::int64_t r = r0; r < r1; ++r)
                for (std::int64_t c = c0; c < c1; ++c) {
                    float& v = m[r * cols + c];
                    v = e4m3ToF32(f32ToE4m3(v / s)) * s;
                }
        }
    }
}

void quantizeRowQ8_0(const float* x, std::int64_t n, std::byte* out) {
    for (std::int64_t b = 0; b < n / 32; ++b) {
        const float* v = x + b * 32;
        float amax = 0.0f;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(v[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const std::uint16_t dh = f32ToF16(d);
        std::byte* blk = out + b * 34;
        std::memcpy(blk, &dh, 2);
        for (int j = 0; j < 32; ++j) {
            const auto q = std::int8_t(std::lround(v[j] * id));
            std::memcpy(blk + 2 + j, &q, 1);
        }
    }
}

void quantizeRowMxfp4(const float* x, std::int64_t n, std::byte* out) {
    for (std::int64_t b = 0; b < n / 32; ++b) {
        const float* v = x + b * 32;
        float amax = 0.0f;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(v[j]));
        const float s = blockScalePow2(amax, 6.0f);
        std::byte* blk = out + b * 17;
        blk[0] = std::byte(f32PowerOfTwoToE8m0(s));
        for (int j = 0; j < 16; ++j) {
            const std::uint8_t lo = f32ToE2m1(v[j] / s), hi = f32ToE2m1(v[j + 16] / s);
            blk[1 + j] = std::byte(std::uint8_t(lo | (hi << 4)));
        }
    }
}

}  // namespace atelier::engine::gguf
