#pragma once
// Format constants of ggml's non-linear and lattice formats (IQ1_S/M, IQ2_XXS/XS/S, IQ3_XXS/S,
// IQ4_NL/XS), shared by their reference decoders, quantizers and SIMD products. Internal to the
// kernels library. The block layouts are in gemm_quant.h.

#include <cstdint>

namespace atelier::kernels::iq {

// Grid points, one byte per element (element i = byte i of the entry).
// IQ2: 8 magnitudes per entry from {8, 25, 43}.
extern const std::uint64_t kIq2xxsGrid[256];
extern const std::uint64_t kIq2xsGrid[512];
extern const std::uint64_t kIq2sGrid[1024];
// IQ1: 8 signed values per entry from {-1, 0, 1} (0xff, 0x00, 0x01).
extern const std::uint64_t kIq1sGrid[2048];
// IQ3: 4 magnitudes per entry, from {4, 12, 20, 28, 36, 44, 52, 62} (IQ3_XXS) or the odd
// numbers 1..15 (IQ3_S).
extern const std::uint32_t kIq3xxsGrid[256];
extern const std::uint32_t kIq3sGrid[512];

// IQ4_NL / IQ4_XS: the 16 levels a 4-bit code stands for.
inline constexpr std::int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                                 1,    13,   25,  38,  53,  69,  89,  113};

// IQ2_XXS / IQ2_XS / IQ3_XXS store 7 sign bits per 8 values; the eighth makes the count of
// negative signs even. Bit i set = element i negative.
constexpr std::uint8_t signs8(std::uint8_t seven) {
    int parity = 0;
    for (int i = 0; i < 7; ++i) parity ^= (seven >> i) & 1;
    return std::uint8_t((seven & 0x7f) | (parity << 7));
}

// IQ1_S / IQ1_M: the shift added to every grid value of a group of 8 (sign from the block).
inline constexpr float kIq1Delta = 0.125f;

}  // namespace atelier::kernels::iq
