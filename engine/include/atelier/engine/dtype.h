#pragma once
// Element types of stored tensors and the scalar conversions every layer agrees on.
// Thread-safe: pure functions.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace atelier::kernels {
enum class QuantType : std::uint8_t;     // gemm_quant.h
enum class MatmulFormat : std::uint8_t;  // kernel_table.h
}

namespace atelier::engine {

// Persisted in caches and checkpoints: never reuse a value.
enum class DType : std::uint8_t {
    F32 = 0,
    F16 = 1,
    BF16 = 2,
    F8_E4M3 = 3,   // FP8 e4m3fn (no inf; 0x7f/0xff are NaN), weights and cache NoPE dims
    F8_E8M0 = 4,   // UE8M0 power-of-two scale: value = 2^(byte - 127)
    E2M1x2 = 5,    // two FP4 E2M1 values per byte, element 2i in the low nibble (HF release
                   // routed experts; their safetensors say "I8")
    I32 = 6,
    I64 = 7,
    Q8_0 = 8,      // ggml: blocks of 32 = f16 scale + 32 x int8 (34 bytes)
    MXFP4 = 9,     // ggml: blocks of 32 = e8m0 scale + 16 bytes of E2M1 nibbles (17 bytes)
    U8 = 10,
    F64 = 11,
    // ggml K-quants: super-blocks of 256 (see kernels/gemm_kquant.h for the byte layouts).
    Q4_K = 12,     // f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles (144)
    Q6_K = 13,     // 128 bytes low nibbles, 64 bytes high 2 bits, 16 x int8 scales, f16 d (210)
    Q2_K = 14,     // 16 bytes of 4-bit scale/min pairs, 64 bytes of 2-bit codes, f16 d, dmin (84)
    // ggml 32-blocks that llama-quantize falls back to for rows that are not a multiple of 256.
    Q4_0 = 15,     // f16 d + 16 bytes: byte j = element j (low), j+16 (high), value (q-8)*d (18)
    Q5_0 = 16,     // f16 d, 4 bytes of fifth bits, 16 bytes of nibbles, value (q-16)*d (22)
    // ggml K-quant llama-quantize's Q2_K mix uses for some tensors (decoded row by row only).
    Q3_K = 17,     // hmask[32], qs[64], 12 bytes of 6-bit scales, f16 d (110)
    Q5_K = 18,     // f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, qh[32], qs[128] (176)
    // The rest of ggml's block formats (layouts in kernels/gemm_quant.h).
    Q4_1 = 19,
    Q5_1 = 20,
    IQ4_NL = 21,
    IQ4_XS = 22,
    IQ3_S = 23,
    IQ3_XXS = 24,
    IQ2_S = 25,
    IQ2_XS = 26,
    IQ2_XXS = 27,
    IQ1_M = 28,
    IQ1_S = 29,
};

std::string_view dtypeName(DType t);
// Bytes for `n` elements along a row; for block types n must be a multiple of the block
// (32 for Q8_0, MXFP4, Q4_0, Q4_1, Q5_0, Q5_1 and IQ4_NL; 256 for the K- and i-quants).
std::size_t dtypeRowBytes(DType t, std::int64_t n);
// Elements per block (1 for plain types).
int dtypeBlockSize(DType t);
// The kernels' format for the block types that gemm_quant.h computes (Q4_0, Q4_1, Q5_0, Q5_1,
// IQ4_NL, Q3_K and the i-quants); false for every other dtype.
bool dtypeQuantType(DType t, kernels::QuantType& out);
DType dtypeOf(kernels::QuantType t);
// The kernel tables' product slot for a matrix stored as `t` (every dtype bindMatrix accepts);
// false for the rest.
bool dtypeMatmulFormat(DType t, kernels::MatmulFormat& out);

// ---- scalar conversions -------------------------------------------------------------------

inline float bf16ToF32(std::uint16_t h) {
    std::uint32_t u = std::uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
// Round to nearest even, NaN kept quiet.
inline std::uint16_t f32ToBf16(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return std::uint16_t((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1u);
    return std::uint16_t(u >> 16);
}
float f16ToF32(std::uint16_t h);
std::uint16_t f32ToF16(float f);  // round to nearest even

// FP8 E4M3 (fn variant: bias 7, max 448, no infinities).
float e4m3ToF32(std::uint8_t b);
std::uint8_t f32ToE4m3(float f);  // round to nearest even, saturating to +-448

// UE8M0 scale: 2^(b-127); 0xff is NaN.
float e8m0ToF32(std::uint8_t b);
// Exponent byte of a power-of-two value (the value must be an exact power of two).
std::uint8_t f32PowerOfTwoToE8m0(float pow2);

// FP4 E2M1 codes: 0..7 = {0, .5, 1, 1.5, 2, 3, 4, 6}, 8..15 the negatives.
float e2m1ToF32(std::uint8_t code);
std::uint8_t f32ToE2m1(float f);  // round to nearest even, saturating to +-6

}  // namespace atelier::engine
