#pragma once
// The rest of ggml's block formats, read in place and multiplied on integer activations: the
// legacy blocks of 32 (Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL) against activations rounded to blocks of
// 32 (BlockQ8A, gemm_q8.h), and Q3_K and the i-quants (IQ4_XS, IQ3_S, IQ3_XXS, IQ2_S, IQ2_XS,
// IQ2_XXS, IQ1_M, IQ1_S) against Q8_K super-blocks (BlockQ8K, gemm_kquant.h). Q8_0, MXFP4, Q4_K,
// Q5_K, Q6_K and Q2_K keep their own tuned paths (gemm_q8.h, gemm_kquant.h).
//
// One table describes every format here: block size and bytes, the activation blocks it reads,
// the reference decode and quantizer, and one integer dot product per ISA level. A level without
// its own body runs the next lower one; quantDot() says which level actually runs. Each level's
// kernel table (kernel_table.h) holds the matrix product of every format here as a slot.
//
// Byte layouts (little-endian; f16 = IEEE half; "code" = the stored integer):
//   Q4_0 (18): f16 d, qs[16]. Element j < 16 is the low nibble of qs[j], j + 16 the high one.
//     Value d * (q - 8).
//   Q4_1 (20): f16 d, f16 m, qs[16] as Q4_0. Value d * q + m.
//   Q5_0 (22): f16 d, u32 qh, qs[16] as Q4_0; bit j of qh is the fifth bit of element j.
//     Value d * (q - 16).
//   Q5_1 (24): f16 d, f16 m, u32 qh, qs[16] as Q5_0. Value d * q + m.
//   IQ4_NL (18): f16 d, qs[16] as Q4_0. Value d * kIq4nlValues[q].
//   Q3_K (110): hmask[32], qs[64], scales[12], f16 d. Element 128n + 32k + l (l < 32): low bits
//     (qs[32n + l] >> 2k) & 3, high bit (hmask[l] >> (4n + k)) & 1; code = low + 4·high - 4 (in
//     -4..3). Sixteen 6-bit scales s (sub-block e/16), stored as: low nibbles of bytes 0..7 are
//     s0..s7, their high nibbles s8..s15; bytes 8..11 hold the top two bits, byte 8 + (i % 4),
//     bits 2·(i / 4). Value d * (s - 32) * code.
//   IQ4_XS (136): f16 d, u16 scales_h, scales_l[4], qs[128]. Sub-block j (32 elements) has the
//     6-bit scale ls = ((scales_l[j/2] >> 4·(j%2)) & 15) | (((scales_h >> 2j) & 3) << 4); its
//     elements l < 16 are the low nibbles of qs[16j + l], l ≥ 16 the high nibbles of qs[16j + l
//     - 16]. Value d * (ls - 32) * kIq4nlValues[q].
//   IQ2_XXS (66): f16 d, u16 qs[32]. Sub-block j (32 elements) is qs[4j..4j+3] read as two u32:
//     aux0 bytes are four grid indices (kIq2xxsGrid, 8 elements each), aux1 bits 7i..7i+6 the
//     sign bits of group i (signs8), bits 28..31 the scale ls. Value d * (0.5 + ls) * 0.25 *
//     grid * sign.
//   IQ2_XS (74): f16 d, u16 qs[32], scales[8]. Group g (8 elements) is qs[g]: low 9 bits index
//     kIq2xsGrid, high 7 the sign bits (signs8). Group g's scale: nibble (g / 2) % 2 of
//     scales[g / 4] (low nibble for groups 4j, 4j+1). Value d * (0.5 + s) * 0.25 * grid * sign.
//   IQ2_S (82): f16 d, qs[64], qh[8], scales[8]. Group g (8 elements): grid index qs[g] | ((qh[g
//     / 4] >> 2·(g % 4)) & 3) << 8 into kIq2sGrid; sign bits (all eight, no parity) qs[32 + g];
//     scale as IQ2_XS. Value d * (0.5 + s) * 0.25 * grid * sign.
//   IQ3_XXS (98): f16 d, qs[64], then 32 bytes (8 u32) of scales and signs. Sub-block j (32
//     elements): grid bytes qs[8j..8j+7], each a kIq3xxsGrid index (4 elements); u32 aux = bytes
//     64 + 4j: bits 7i..7i+6 the signs of group i of 8 (signs8), bits 28..31 ls. Value d * (0.5 +
//     ls) * 0.5 * grid * sign.
//   IQ3_S (110): f16 d, qs[64], qh[8], signs[32], scales[4]. Group of 8 elements g: two grid
//     indices qs[2g] | ((qh[g/4] >> (2·(g%4))) & 1) << 8 and qs[2g+1] | ((qh[g/4] >> (2·(g%4)+1))
//     & 1) << 8 into kIq3sGrid (4 elements each); sign bits signs[g] (all eight); sub-block j (32
//     elements) has the 4-bit scale (scales[j/2] >> 4·(j%2)) & 15. Value d * (1 + 2·s) * grid *
//     sign.
//   IQ1_S (50): f16 d, qs[32], u16 qh[8]. Sub-block j (32 elements) uses qh[j]: four grid
//     indices qs[4j + i] | ((qh >> 3i) & 7) << 8 into kIq1sGrid (8 elements each), scale
//     ls = 2·((qh >> 12) & 7) + 1, delta = ±kIq1Delta (negative when bit 15 is set). Value d * ls
//     * (grid + delta).
//   IQ1_M (56): qs[32], qh[16], scales[8]; no d field: the f16 d is spread over the top nibbles
//     of the four u16 scales (bits 12..15 of u16 i are bits 4i..4i+3 of d). Group g (8
//     elements): index qs[g] | ((qh[g/2] >> 4·(g%2)) & 7) << 8 into kIq1sGrid, delta sign from bit
//     3 of that nibble; 3-bit scale of group pair (16 elements) p = g / 2: (u16[p/4] >> 3·(p%4)) &
//     7, ls = 2·s + 1. Value d * ls * (grid + delta).
// Thread-safe: pure functions.

#include <cstddef>
#include <cstdint>

#include "atelier/kernels/cpu_features.h"
#include "atelier/kernels/gemm_kquant.h"
#include "atelier/kernels/gemm_q8.h"

namespace atelier::kernels {

enum class QuantType : std::uint8_t {
    // blocks of 32 against BlockQ8A
    Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL,
    // super-blocks of 256 against BlockQ8K
    Q3_K, IQ4_XS, IQ3_S, IQ3_XXS, IQ2_S, IQ2_XS, IQ2_XXS, IQ1_M, IQ1_S,
};
inline constexpr int kQuantTypeCount = 14;

enum class ActivationBlock : std::uint8_t { Q8A, Q8K };

using DequantRowFn = void (*)(const std::uint8_t* w, std::int64_t n, float* out);
using QuantizeRowFn = void (*)(const float* x, std::int64_t n, std::uint8_t* out);
using DotQ8AFn = float (*)(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
using DotQ8KFn = float (*)(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);

struct QuantFormat {
    QuantType type;
    const char* name;  // ggml's name, e.g. "IQ2_XXS"
    int blockElems;    // 32 or 256
    int blockBytes;
    ActivationBlock activation;
    // One stored row of n elements (a multiple of blockElems) -> the exact values it represents.
    DequantRowFn dequantRow;
    // n f32 values -> n / blockElems blocks: the format's reference quantizer (model files and
    // tests; round-to-nearest on the format's grid, no importance matrix).
    QuantizeRowFn quantizeRow;
};

const QuantFormat& quantFormat(QuantType type);
// The format named `name` (case-insensitive, e.g. "iq2_xxs"); false when there is none.
bool quantTypeFromName(const char* name, QuantType& out);

// The integer dot product of one row of nb blocks with nb activation blocks. Exactly one of q8a
// and q8k is set (the format's activation kind); `level` is the level whose body this is.
struct QuantDot {
    DotQ8AFn q8a = nullptr;
    DotQ8KFn q8k = nullptr;
    IsaLevel level = IsaLevel::Scalar;
    bool vnni = false;  // the AVX-512 body uses VNNI (vpdpbusd)
};
// `level`'s body, or the highest lower level's where `level` has none. The AVX-512 VNNI body is
// used at the AVX-512 level when the CPU has VNNI (and `allowVnni`).
QuantDot quantDot(QuantType type, IsaLevel level, bool allowVnni = true);
// Whether `type` has a body of its own at `level` (and, for vnni, a VNNI body).
bool quantHasLevel(QuantType type, IsaLevel level, bool vnni = false);

// y[t * ldy + (r - rowBegin)] = W[r] · x[t] for rows [rowBegin, rowEnd) of W [rows, cols] in
// `type` and xq [T, cols / blockElems] activation blocks of the format's kind (BlockQ8A or
// BlockQ8K). Each (row, token) runs the same dot whatever T, so results are batch invariant.
// The matmul slot of `level`'s kernel table.
void gemm_quant(IsaLevel level, QuantType type, const std::uint8_t* w, std::int64_t cols,
                std::int64_t rowBegin, std::int64_t rowEnd, const void* xq, std::int64_t T,
                float* y, std::int64_t ldy);

// ---- per format (the table's entries; tests call them by level) ---------------------------

// Every format defines all six: the reference decode, quantizer and dot, and one dot per SIMD
// level. `_avx512` uses AVX-512 F/BW (512-bit maddubs); `_avx512vnni` adds vpdpbusd.
void dequant_row_q4_0_ref(const std::uint8_t* w, std::int64_t n, float* out);
void quantize_row_q4_0_ref(const float* x, std::int64_t n, std::uint8_t* out);
float dot_q4_0_q8a_ref(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
float dot_q4_0_q8a_avx2(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
float dot_q4_0_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
float dot_q4_0_q8a_avx512vnni(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);

void dequant_row_q4_1_ref(const std::uint8_t* w, std::int64_t n, float* out);
void quantize_row_q4_1_ref(const float* x, std::int64_t n, std::uint8_t* out);
float dot_q4_1_q8a_ref(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
float dot_q4_1_q8a_avx2(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
float dot_q4_1_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
float dot_q4_1_q8a_avx512vnni(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);

void dequant_row_q5_0_ref(const std::uint8_t* w, std::int64_t n, float* out);
void quantize_row_q5_0_ref(const float* x, std::int64_t n, std::uint8_t* out);
float dot_q5_0_q8a_ref(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
float dot_q5_0_q8a_avx2(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
float dot_q5_0_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
float dot_q5_0_q8a_avx512vnni(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);

void dequant_row_q5_1_ref(const std::uint8_t* w, std::int64_t n, float* out);
void quantize_row_q5_1_ref(const float* x, std::int64_t n, std::uint8_t* out);
float dot_q5_1_q8a_ref(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
float dot_q5_1_q8a_avx2(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
float dot_q5_1_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
float dot_q5_1_q8a_avx512vnni(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);

void dequant_row_iq4_nl_ref(const std::uint8_t* w, std::int64_t n, float* out);
void quantize_row_iq4_nl_ref(const float* x, std::int64_t n, std::uint8_t* out);
float dot_iq4_nl_q8a_ref(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
float dot_iq4_nl_q8a_avx2(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
float dot_iq4_nl_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);
float dot_iq4_nl_q8a_avx512vnni(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb);

void dequant_row_q3_k_ref(const std::uint8_t* w, std::int64_t n, float* out);
void quantize_row_q3_k_ref(const float* x, std::int64_t n, std::uint8_t* out);
float dot_q3_k_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_q3_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_q3_k_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_q3_k_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);

void dequant_row_iq4_xs_ref(const std::uint8_t* w, std::int64_t n, float* out);
void quantize_row_iq4_xs_ref(const float* x, std::int64_t n, std::uint8_t* out);
float dot_iq4_xs_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq4_xs_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq4_xs_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq4_xs_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);

void dequant_row_iq3_s_ref(const std::uint8_t* w, std::int64_t n, float* out);
void quantize_row_iq3_s_ref(const float* x, std::int64_t n, std::uint8_t* out);
float dot_iq3_s_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq3_s_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq3_s_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq3_s_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);

void dequant_row_iq3_xxs_ref(const std::uint8_t* w, std::int64_t n, float* out);
void quantize_row_iq3_xxs_ref(const float* x, std::int64_t n, std::uint8_t* out);
float dot_iq3_xxs_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq3_xxs_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq3_xxs_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq3_xxs_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);

void dequant_row_iq2_s_ref(const std::uint8_t* w, std::int64_t n, float* out);
void quantize_row_iq2_s_ref(const float* x, std::int64_t n, std::uint8_t* out);
float dot_iq2_s_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq2_s_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq2_s_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq2_s_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);

void dequant_row_iq2_xs_ref(const std::uint8_t* w, std::int64_t n, float* out);
void quantize_row_iq2_xs_ref(const float* x, std::int64_t n, std::uint8_t* out);
float dot_iq2_xs_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq2_xs_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq2_xs_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq2_xs_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);

void dequant_row_iq2_xxs_ref(const std::uint8_t* w, std::int64_t n, float* out);
void quantize_row_iq2_xxs_ref(const float* x, std::int64_t n, std::uint8_t* out);
float dot_iq2_xxs_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq2_xxs_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq2_xxs_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq2_xxs_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);

void dequant_row_iq1_m_ref(const std::uint8_t* w, std::int64_t n, float* out);
void quantize_row_iq1_m_ref(const float* x, std::int64_t n, std::uint8_t* out);
float dot_iq1_m_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq1_m_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq1_m_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq1_m_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);

void dequant_row_iq1_s_ref(const std::uint8_t* w, std::int64_t n, float* out);
void quantize_row_iq1_s_ref(const float* x, std::int64_t n, std::uint8_t* out);
float dot_iq1_s_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq1_s_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq1_s_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);
float dot_iq1_s_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb);

}  // namespace atelier::kernels
