#pragma once
// Test helper: random stored weights for the gemm kernels, in every WeightFormat and every
// K-quant, with bytes chosen so that each decodes to finite values of moderate size.
// Header-only; used by the kernels tests.

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "atelier/kernels/gemm.h"
#include "atelier/kernels/gemm_kquant.h"

namespace gemm_test {

using namespace atelier::kernels;

struct Stored {
    WeightFormat format;
    std::vector<std::uint8_t> data, scale;
    std::int64_t rows, cols;
    WeightMatrix view() const { return {format, data.data(), scale.data(), rows, cols}; }
};

inline std::uint8_t randomByte(std::mt19937& rng) { return std::uint8_t(rng() & 0xff); }

// Random stored bytes that decode to finite values of moderate size in every format.
inline Stored makeStored(WeightFormat f, std::int64_t rows, std::int64_t cols, std::mt19937& rng) {
    Stored s{f, {}, {}, rows, cols};
    s.data.resize(weightRowBytes(f, cols) * std::size_t(rows));
    for (auto& b : s.data) b = randomByte(rng);
    auto finiteHalf = [&](std::size_t at, bool bf16) {  // exponent kept well inside the range
        const std::uint16_t h = bf16 ? std::uint16_t((rng() & 0x807f) | ((120 + rng() % 12) << 7))
                                     : std::uint16_t((rng() & 0x83ff) | ((8 + rng() % 12) << 10));
        std::memcpy(&s.data[at], &h, 2);
    };
    switch (f) {
    case WeightFormat::F32:
        for (std::size_t i = 0; i < s.data.size(); i += 4) {
            const float v = std::uniform_real_distribution<float>(-1, 1)(rng);
            std::memcpy(&s.data[i], &v, 4);
        }
        break;
    case WeightFormat::BF16:
    case WeightFormat::F16:
        for (std::size_t i = 0; i < s.data.size(); i += 2) finiteHalf(i, f == WeightFormat::BF16);
        if (f == WeightFormat::F16 && s.data.size() >= 4) {  // a subnormal half too
            const std::uint16_t sub = 0x8003;
            std::memcpy(&s.data[2], &sub, 2);
        }
        break;
    case WeightFormat::Q8_0:
        for (std::size_t i = 0; i < s.data.size(); i += 34) finiteHalf(i, false);
        break;
    case WeightFormat::E4M3:
        for (auto& b : s.data)
            if ((b & 0x7f) == 0x7f) b = 0x01;  // no NaN codes
        s.scale.resize(std::size_t((rows + 127) / 128 * ((cols + 127) / 128)));
        for (auto& b : s.scale) b = std::uint8_t(120 + rng() % 14);
        break;
    case WeightFormat::E2M1:
        s.scale.resize(std::size_t(rows * (cols / 32)));
        for (auto& b : s.scale) b = std::uint8_t(120 + rng() % 14);
        break;
    case WeightFormat::MXFP4:
        for (std::size_t i = 0; i < s.data.size(); i += 17) s.data[i] = std::uint8_t(120 + rng() % 14);
        break;
    }
    if (s.scale.empty()) s.scale.push_back(127);
    return s;
}

inline void putHalf(std::uint8_t* p, std::uint16_t h) { std::memcpy(p, &h, 2); }

// Random K-quant super-blocks: any code and scale bytes are valid; d and dmin are small
// positive halves (2^-7..2^-5).
inline std::vector<std::uint8_t> randomKQuantBlocks(KQuant type, std::int64_t blocks, std::mt19937& rng) {
    const std::size_t bb = kquantBlockBytes(type);
    std::vector<std::uint8_t> w(bb * std::size_t(blocks));
    for (auto& b : w) b = std::uint8_t(rng());
    std::uniform_int_distribution<int> mant(0, 1023);
    for (std::int64_t i = 0; i < blocks; ++i) {
        std::uint8_t* blk = w.data() + bb * std::size_t(i);
        const auto half = [&] { return std::uint16_t(((8 + rng() % 3) << 10) | mant(rng)); };
        switch (type) {
        case KQuant::Q4_K: putHalf(blk, half()); putHalf(blk + 2, half()); break;
        case KQuant::Q6_K: putHalf(blk + 208, half()); break;
        case KQuant::Q2_K: putHalf(blk + 80, half()); putHalf(blk + 82, half()); break;
        case KQuant::Q5_K: putHalf(blk, half()); putHalf(blk + 2, half()); break;
        }
    }
    return w;
}

}  // namespace gemm_test
