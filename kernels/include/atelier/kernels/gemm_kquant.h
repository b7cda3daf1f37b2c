#pragma once
// Matrix products over ggml's K-quant weight formats, read in place (never dequantized whole).
// The activations are first rounded to Q8_K blocks (one f32 scale and 256 int8 per block, plus
// the sums of each 16 codes), so that the inner products run on integers, as llama.cpp does.
//
// Layouts of one super-block of 256 weights (ggml-common.h; little-endian, f16 = IEEE half):
//   Q4_K (144 bytes): f16 d, f16 dmin, scales[12], qs[128]. Eight sub-blocks of 32 with 6-bit
//     scale sc and min m: j < 4: sc = s[j] & 63, m = s[j+4] & 63; j >= 4: sc = (s[j+4] & 15) |
//     (s[j-4] >> 6) << 4, m = (s[j+4] >> 4) | (s[j] >> 6) << 4. Elements 64c..64c+31 are the low
//     nibbles of qs[32c..32c+31] (sub-block 2c), 64c+32..64c+63 the high ones (sub-block 2c+1).
//     Value = d*sc*q - dmin*m.
//   Q6_K (210 bytes): ql[128], qh[64], int8 scales[16], f16 d. Half n (0, 1) of 128 elements:
//     element 128n + 32k + l (l < 32) has low bits from ql[64n + l + 32(k&1)] (low nibble for
//     k < 2, high for k >= 2) and high bits (qh[32n + l] >> 2k) & 3. Value = d*scales[e/16]*(q-32).
//   Q5_K (176 bytes): f16 d, f16 dmin, scales[12] (as Q4_K), qh[32], qs[128]. Element 64c + l
//     (l < 32) is the low nibble of qs[32c + l] plus 16 * bit 2c of qh[l] (sub-block 2c); element
//     64c + 32 + l the high nibble plus 16 * bit 2c+1 of qh[l] (sub-block 2c+1). Codes 0..31.
//     Value = d*sc*q - dmin*m.
//   Q2_K (84 bytes): scales[16] (low nibble scale, high nibble min), qs[64], f16 d, f16 dmin.
//     Element 128n + 32k + l has code (qs[32n + l] >> 2k) & 3 and sub-block e/16.
//     Value = d*(s&15)*q - dmin*(s>>4).
// Rows [rowBegin, rowEnd) of W [rows, cols] (cols a multiple of 256, rows stored contiguously);
// y[t * ldy + (r - rowBegin)]. Thread-safe: pure functions (callers own their scratch).

#include <cstddef>
#include <cstdint>

#include "atelier/kernels/cpu_features.h"

namespace atelier::kernels {

inline constexpr int kQK_K = 256;  // elements per super-block

enum class KQuant { Q4_K, Q6_K, Q2_K, Q5_K };

// Bytes of one super-block of `type`.
std::size_t kquantBlockBytes(KQuant type);

// ggml's Q8_K activation block: x ~= d * qs, bsums[i] = sum of qs[16i..16i+15].
struct BlockQ8K {
    float d;
    std::int8_t qs[kQK_K];
    std::int16_t bsums[kQK_K / 16];
};

// [n] f32 -> [n/256] Q8_K (symmetric, codes in [-127, 127]; lround: ties away from zero).
void quantize_row_q8_k_ref(const float* x, std::int64_t n, BlockQ8K* out);
// The same bits (for finite x) with AVX2.
void quantize_row_q8_k_avx2(const float* x, std::int64_t n, BlockQ8K* out);
// At activeIsaLevel() (cpuKernels().quantizeQ8K).
void quantize_row_q8_k(const float* x, std::int64_t n, BlockQ8K* out);

// One stored row of n elements -> [n] f32 (the exact values the format represents).
void dequant_row_q4_k_ref(const std::uint8_t* w, std::int64_t n, float* out);
void dequant_row_q6_k_ref(const std::uint8_t* w, std::int64_t n, float* out);
void dequant_row_q2_k_ref(const std::uint8_t* w, std::int64_t n, float* out);
void dequant_row_q5_k_ref(const std::uint8_t* w, std::int64_t n, float* out);

// Dot product of one weight row of `nb` super-blocks with `nb` Q8_K activation blocks.
float dot_q4_k_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_q6_k_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_q2_k_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_q5_k_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_q4_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_q6_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_q2_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_q5_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_q4_k_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_q6_k_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_q2_k_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);

// One weight row against T tokens' activations a [T, nb]: y[t * ldy] = dot(w, a + t * nb),
// bit for bit what dot_qN_k_q8_k_avx2 gives each token alone (the codes and scales are unpacked
// once per four tokens).
void dots_q4_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb,
                         std::int64_t T, float* y, std::int64_t ldy);
void dots_q5_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb,
                         std::int64_t T, float* y, std::int64_t ldy);
void dots_q6_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb,
                         std::int64_t T, float* y, std::int64_t ldy);
void dots_q2_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb,
                         std::int64_t T, float* y, std::int64_t ldy);
// `rows` consecutive weight rows (nb super-blocks each) against one token's activations a [nb]:
// y[r] = dot(row r, a), bit for bit what dot_qN_k_q8_k_avx2 gives (four rows at a time: decode).
void rows_q4_k_q8_k_avx2(const std::uint8_t* w, std::int64_t rows, const BlockQ8K* a, std::int64_t nb,
                         float* y);
void rows_q5_k_q8_k_avx2(const std::uint8_t* w, std::int64_t rows, const BlockQ8K* a, std::int64_t nb,
                         float* y);
void rows_q6_k_q8_k_avx2(const std::uint8_t* w, std::int64_t rows, const BlockQ8K* a, std::int64_t nb,
                         float* y);
void rows_q2_k_q8_k_avx2(const std::uint8_t* w, std::int64_t rows, const BlockQ8K* a, std::int64_t nb,
                         float* y);
// The same with AVX-VNNI (the 256-bit vpdpbusd / vpdpwssd of CPUs without AVX-512; only called
// when cpuFeatures().avxvnni): the same bits as the AVX2 bodies above. For one token the AVX-VNNI
// table keeps rows_qN_k_q8_k_avx2 (see kernel_table_cpu.cpp).
void dots_q4_k_q8_k_avxvnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T, float* y,
                            std::int64_t ldy);
void dots_q5_k_q8_k_avxvnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T, float* y,
                            std::int64_t ldy);
void dots_q6_k_q8_k_avxvnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T, float* y,
                            std::int64_t ldy);
void dots_q2_k_q8_k_avxvnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T, float* y,
                            std::int64_t ldy);
// The same at the AVX-512 VNNI level (only called when the CPU has it), for every K-quant: codes
// unpacked once per four tokens, vpdpbusd + vpdpwssd per 64 codes; each token's result is the
// same bits whatever T (not the bits of the AVX2 or AVX-512 bodies).
void dots_q4_k_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb,
                               std::int64_t T, float* y, std::int64_t ldy);
void dots_q6_k_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb,
                               std::int64_t T, float* y, std::int64_t ldy);
void dots_q2_k_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb,
                               std::int64_t T, float* y, std::int64_t ldy);
void dots_q5_k_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb,
                               std::int64_t T, float* y, std::int64_t ldy);

// W [rows, cols] of `type`; xq [T, cols/256] Q8_K blocks. Runs the matmul slot of `level`'s
// kernel table (kernel_table.h; the level must be supported by this CPU; Neon falls back to
// scalar); the VNNI bodies of the level (AVX-512 VNNI, AVX-VNNI at AVX2) when the CPU has them
// and `allowVnni` (tests and benchmarks clear it to reach the plain bodies).
void gemm_kquant_q8_k(IsaLevel level, KQuant type, const std::uint8_t* w, std::int64_t cols,
                      std::int64_t rowBegin, std::int64_t rowEnd, const BlockQ8K* xq,
                      std::int64_t T, float* y, std::int64_t ldy, bool allowVnni = true);

// Same, from f32 activations x [T, cols]: quantizes them into `scratch` ([T * cols/256]
// blocks) and dispatches at activeIsaLevel().
void gemm_kquant(KQuant type, const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                 std::int64_t rowEnd, const float* x, std::int64_t T, float* y, std::int64_t ldy,
                 BlockQ8K* scratch);

}  // namespace atelier::kernels
