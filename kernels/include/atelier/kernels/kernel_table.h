#pragma once
// One table of kernels per backend, as ggml's backend interface: a struct of function pointers
// with one slot per operation the forward pass calls — a matrix product per stored weight
// format, the rounding of activations for the integer products, the vector ops, attention's
// helpers and the casts of the cache formats. The CPU fills one table per ISA level, once, at
// first use (cpu/kernel_table_cpu.cpp: scalar = the `_ref` kernels, AVX2, AVX-512, AVX-512
// VNNI); which body each level runs is decided there and nowhere else (a level without a body
// of its own takes the next lower level's). The engine picks a table once, when it loads a
// model, and calls its slots, so the forward never names a level or a per-level kernel. A
// device backend (CUDA) fills a table with the same slots, and the forward does not change.
// The dispatching free functions of the other headers (gemm(), rmsnorm_f32(), ...) read
// cpuKernels() too; tests and tools use them.
// Thread-safe: a table never changes once filled; every slot is a pure function (callers pass
// their own scratch). Plain C++17, so that nvcc can include it.

#include <cstdint>

#include "atelier/kernels/cpu_features.h"
#include "atelier/kernels/gemm.h"
#include "atelier/kernels/gemm_kquant.h"
#include "atelier/kernels/gemm_q8.h"
#include "atelier/kernels/gemm_quant.h"
#include "atelier/kernels/indexer_fp4.h"

namespace atelier::kernels {

// Every stored weight format the tables multiply, one product slot each. The K-quants follow
// KQuant's order and the formats from Q4_0 on follow QuantType's, so matmulFormat() is a sum.
enum class MatmulFormat : std::uint8_t {
    F32, BF16, F16, E4M3, E2M1,       // f32 activations (gemm.h)
    Q8_0, MXFP4,                      // BlockQ8A activations (gemm_q8.h)
    Q4_K, Q6_K, Q2_K, Q5_K,           // BlockQ8K activations (gemm_kquant.h)
    Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL,   // BlockQ8A activations (gemm_quant.h)
    Q3_K, IQ4_XS, IQ3_S, IQ3_XXS, IQ2_S, IQ2_XS, IQ2_XXS, IQ1_M, IQ1_S,  // BlockQ8K (gemm_quant.h)
};
inline constexpr int kMatmulFormatCount = 25;

constexpr MatmulFormat matmulFormat(KQuant type) {
    return MatmulFormat(int(MatmulFormat::Q4_K) + int(type));
}
constexpr MatmulFormat matmulFormat(QuantType type) {
    return MatmulFormat(int(MatmulFormat::Q4_0) + int(type));
}
static_assert(matmulFormat(KQuant::Q5_K) == MatmulFormat::Q5_K);
static_assert(matmulFormat(QuantType::IQ1_S) == MatmulFormat::IQ1_S);
static_assert(int(MatmulFormat::IQ1_S) + 1 == kMatmulFormatCount);

// What a product slot reads its activations as: f32 rows, or rows rounded to BlockQ8A
// (blocks of 32, gemm_q8.h) or BlockQ8K (super-blocks of 256, gemm_kquant.h) by the table's
// quantizeQ8A / quantizeQ8K.
enum class ActivationRounding : std::uint8_t { None, Q8A, Q8K };

// y[t · ldy + (r − rowBegin)] = W[r] · x[t] for rows [rowBegin, rowEnd) of W. w: the stored
// rows of W, each of `cols` logical elements in the slot's format; scale: the UE8M0 scales of
// E4M3 ([ceil(rows/128), ceil(cols/128)]) and E2M1 ([rows, cols/32]), else unused; x: [T, cols]
// f32, [T, cols/32] BlockQ8A or [T, cols/256] BlockQ8K as the slot's `activation` says;
// scratch [gemmScratchFloats(cols)] (read by the f32 slots only).
using MatmulFn = void (*)(const std::uint8_t* w, const std::uint8_t* scale, std::int64_t cols,
                          std::int64_t rowBegin, std::int64_t rowEnd, const void* x,
                          std::int64_t T, float* y, std::int64_t ldy, float* scratch);

struct MatmulSlot {
    ActivationRounding activation = ActivationRounding::None;
    MatmulFn run = nullptr;
};

struct KernelTable {
    const char* name = "";  // "cpu-scalar", "cpu-avx2", "cpu-avx512", "cpu-avx512-vnni"

    // ---- matrix products ----------------------------------------------------------------------
    // One per stored format, indexed by MatmulFormat. Every (row, token) sums in the same order
    // whatever T and the row range, so results do not depend on the batch or the thread split.
    MatmulSlot matmul[kMatmulFormatCount];
    // The f32 product of any gemm.h format, the f32 products of Q8_0 and MXFP4 included (the
    // F32 … E2M1 matmul slots run it; gemmAt() reaches it for tests and benchmarks).
    void (*gemm)(const WeightMatrix& w, std::int64_t rowBegin, std::int64_t rowEnd,
                 const float* x, std::int64_t T, float* y, std::int64_t ldy,
                 float* scratch) = nullptr;
    // Activation rounding for the integer products: x [n] f32 → [n/32] BlockQ8A (Q8_0, MXFP4,
    // the legacy blocks) or [n/256] BlockQ8K (K-quants, i-quants).
    void (*quantizeQ8A)(const float* x, std::int64_t n, BlockQ8A* out) = nullptr;
    void (*quantizeQ8K)(const float* x, std::int64_t n, BlockQ8K* out) = nullptr;

    // ---- vector ops (vec_ops.h, stream_ops.h), [n] f32 --------------------------------------
    float (*dot)(const float* a, const float* b, std::int64_t n) = nullptr;
    void (*axpy)(float alpha, const float* x, float* y, std::int64_t n) = nullptr;  // y += αx
    // y = w ⊙ x / sqrt(mean(x²) + eps); w may be null; x, y may alias.
    void (*rmsnorm)(const float* x, const float* w, std::int64_t n, float eps, float* y) = nullptr;
    // x [rope] in place by the angles' cos/sin [rope/2] (or their negation).
    void (*rope)(float* x, const float* cos, const float* sin, int rope, bool inverse) = nullptr;
    // Hyper-connections over X [4, n]: y = Σ_j w[j] · X[j]; X[k] ← post[k] · F + Σ_j comb[4j+k] · X[j].
    void (*hcCollapse)(const float* X, std::int64_t n, const float w[4], float* y) = nullptr;
    void (*hcExpand)(const float post[4], const float comb[16], const float* F, float* X,
                     std::int64_t n) = nullptr;
    // The compressor's softmax pooling of `rows` state rows of stride kc into E [c].
    void (*compressPool)(const float* K, const float* Z, int c, int kc, int rows, bool overlap,
                         float* E) = nullptr;

    // ---- attention (attn_sink.h, indexer_score.h) ---------------------------------------------
    // q [H, C]; entries [n] pointers to [C]; sinks [H]; z scratch [H, n]; o [H, C].
    void (*attnSink)(const float* q, int H, int C, const float* const* entries, std::int64_t n,
                     const float* sinks, float scale, float* z, float* o) = nullptr;
    // q [nI, cI], w [nI], keys [n, cI] → scores [n].
    void (*indexerScore)(const float* q, const float* w, int nI, int cI, const float* keys,
                         std::int64_t n, float* scores) = nullptr;
    // The same scores in integer form, for MXFP4 queries and keys (Release numerics): n keys in
    // the cache's packed format, `stride` bytes apart, against a packed query (indexer_fp4.h).
    void (*indexerScoreFp4)(const IndexerQueryFp4& q, const std::uint8_t* keys,
                            std::int64_t stride, std::int64_t n, float* scores) = nullptr;
    // idx [min(k, n)] of the highest scores [n], ties to the lower index; order scratch [n].
    std::int64_t (*topk)(const float* scores, std::int64_t n, std::int64_t k, std::int32_t* idx,
                         std::int32_t* order) = nullptr;

    // ---- casts of the cache and activation formats (fp8_cast.h) -------------------------------
    void (*fp8Quant)(const float* x, std::int64_t n, int block, std::uint8_t* codes,
                     std::uint8_t* scales) = nullptr;
    void (*fp8Dequant)(const std::uint8_t* codes, const std::uint8_t* scales, std::int64_t n,
                       int block, float* x) = nullptr;
    void (*fp8Simulate)(float* x, std::int64_t n, int block) = nullptr;
    void (*roundBf16)(float* x, std::int64_t n) = nullptr;
    void (*fp4Dequant)(const std::uint8_t* pairs, const std::uint8_t* scales, std::int64_t n,
                       float* x) = nullptr;
};

// The CPU table of `level`, which this CPU must run (Neon has no bodies yet: the scalar
// table). At the AVX-512 level it is the VNNI table when the CPU has AVX-512 VNNI and
// `allowVnni`, at the AVX2 level the AVX-VNNI table when the CPU has AVX-VNNI and `allowVnni`
// (tests and benchmarks clear it to reach the plain AVX-512 or AVX2 bodies).
const KernelTable& cpuKernels(IsaLevel level, bool allowVnni = true);
// The CPU table at activeIsaLevel() (so it follows forceIsaLevel() and ATELIER_CPU_LEVEL).
const KernelTable& cpuKernels();

}  // namespace atelier::kernels
