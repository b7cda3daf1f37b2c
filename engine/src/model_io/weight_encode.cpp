#include "model_io/weight_encode.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "atelier/engine/dtype.h"

namespace atelier::engine {

float blockScale(float amax, float maxCode) {
    if (!(amax > 0.0f) || !std::isfinite(amax)) return 1.0f;
    // ceil(log2(x)) exactly: x = m * 2^e with m in [0.5, 1); x is a power of two iff m == 0.5.
    int e = 0;
    const double m = std::frexp(double(amax) / double(maxCode), &e);
    int exponent = m == 0.5 ? e - 1 : e;
    exponent = std::clamp(exponent, -127, 127);
    return std::ldexp(1.0f, exponent);
}

void encodeBf16(std::span<const float> in, std::span<std::byte> out) {
    for (std::size_t i = 0; i < in.size(); ++i) {
        const std::uint16_t h = f32ToBf16(in[i]);
        std::memcpy(out.data() + 2 * i, &h, 2);
    }
}

void encodeFp8Blocks(std::span<const float> in, std::int64_t rows, std::int64_t cols,
                     std::span<std::byte> weight, std::span<std::byte> scale) {
    const std::int64_t blockRows = (rows + 127) / 128, blockCols = (cols + 127) / 128;
    for (std::int64_t br = 0; br < blockRows; ++br) {
        const std::int64_t r0 = br * 128, r1 = std::min(rows, r0 + 128);
        for (std::int64_t bc = 0; bc < blockCols; ++bc) {
            const std::int64_t c0 = bc * 128, c1 = std::min(cols, c0 + 128);
            float amax = 0.0f;
            for (std::int64_t r = r0; r < r1; ++r)
                for (std::int64_t c = c0; c < c1; ++c)
                    amax = std::max(amax, std::fabs(in[std::size_t(r * cols + c)]));
            const float s = blockScale(amax, 448.0f);
            scale[std::size_t(br * blockCols + bc)] = std::byte(f32PowerOfTwoToE8m0(s));
            for (std::int64_t r = r0; r < r1; ++r)
                for (std::int64_t c = c0; c < c1; ++c) {
                    const std::size_t i = std::size_t(r * cols + c);
                    weight[i] = std::byte(f32ToE4m3(in[i] / s));
                }
        }
    }
}

void encodeFp4Rows(std::span<const float> in, std::int64_t rows, std::int64_t cols,
                   std::span<std::byte> weight, std::span<std::byte> scale) {
    const std::int64_t blocks = cols / 32;
    for (std::int64_t r = 0; r < rows; ++r) {
        const float* row = in.data() + r * cols;
        for (std::int64_t b = 0; b < blocks; ++b) {
            float amax = 0.0f;
            for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(row[b * 32 + j]));
            const float s = blockScale(amax, 6.0f);
            scale[std::size_t(r * blocks + b)] = std::byte(f32PowerOfTwoToE8m0(s));
            for (int j = 0; j < 32; j += 2) {
                const std::uint8_t lo = f32ToE2m1(row[b * 32 + j] / s);
                const std::uint8_t hi = f32ToE2m1(row[b * 32 + j + 1] / s);
                weight[std::size_t(r * (cols / 2) + (b * 32 + j) / 2)] = std::byte(lo | (hi << 4));
            }
        }
    }
}

}  // namespace atelier::engine
