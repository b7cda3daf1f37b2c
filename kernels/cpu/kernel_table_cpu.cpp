// The CPU kernel tables (kernel_table.h), one per ISA level, filled once at first use. This is
// the only place that decides which body a level runs: the scalar table is the `_ref`
// catalogue, and each higher level starts from the level below and replaces the slots it has
// a body of its own for (so AVX-512 runs the AVX2 stream ops, casts and Q5_K product).

#include "atelier/kernels/kernel_table.h"

#include "atelier/kernels/attn_sink.h"
#include "atelier/kernels/fp8_cast.h"
#include "atelier/kernels/gemv_ref.h"
#include "atelier/kernels/indexer_score.h"
#include "atelier/kernels/rmsnorm_ref.h"
#include "atelier/kernels/stream_ops.h"
#include "atelier/kernels/vec_ops.h"
#include "cpu/gemm_quant_slot.h"

namespace atelier::kernels {
namespace {

// ---- the catalogue's products as MatmulFn slots ----------------------------------------------

using GemmFn = void (*)(const WeightMatrix&, std::int64_t, std::int64_t, const float*,
                        std::int64_t, float*, std::int64_t, float*);
using GemmQ8AFn = void (*)(const std::uint8_t*, std::int64_t, std::int64_t, std::int64_t,
                           const BlockQ8A*, std::int64_t, float*, std::int64_t);
using KDotFn = float (*)(const std::uint8_t*, const BlockQ8K*, std::int64_t);
using KDotsFn = void (*)(const std::uint8_t*, const BlockQ8K*, std::int64_t, std::int64_t, float*,
                         std::int64_t);
using KRowsFn = void (*)(const std::uint8_t*, std::int64_t, const BlockQ8K*, std::int64_t, float*);

template <WeightFormat kFormat, GemmFn kGemm>
void f32Product(const std::uint8_t* w, const std::uint8_t* scale, std::int64_t cols,
                std::int64_t rowBegin, std::int64_t rowEnd, const void* x, std::int64_t T,
                float* y, std::int64_t ldy, float* scratch) {
    const WeightMatrix m{kFormat, w, scale, rowEnd, cols};
    kGemm(m, rowBegin, rowEnd, static_cast<const float*>(x), T, y, ldy, scratch);
}

template <GemmQ8AFn kGemm>
void q8aProduct(const std::uint8_t* w, const std::uint8_t*, std::int64_t cols,
                std::int64_t rowBegin, std::int64_t rowEnd, const void* x, std::int64_t T,
                float* y, std::int64_t ldy, float*) {
    kGemm(w, cols, rowBegin, rowEnd, static_cast<const BlockQ8A*>(x), T, y, ldy);
}

// K-quant rows by a one-token dot, token-inner: each weight row is read from memory once and
// reused from cache for every token of the batch.
template <KQuant kType, KDotFn kDot>
void kquantByToken(const std::uint8_t* w, const std::uint8_t*, std::int64_t cols,
                   std::int64_t rowBegin, std::int64_t rowEnd, const void* x, std::int64_t T,
                   float* y, std::int64_t ldy, float*) {
    const auto* xq = static_cast<const BlockQ8K*>(x);
    const std::int64_t nb = cols / kQK_K;
    const std::size_t rowBytes = std::size_t(nb) * kquantBlockBytes(kType);
    for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
        const std::uint8_t* row = w + std::size_t(r) * rowBytes;
        for (std::int64_t t = 0; t < T; ++t) y[t * ldy + (r - rowBegin)] = kDot(row, xq + t * nb, nb);
    }
}

// K-quant rows by a body that takes all tokens of a row at once (codes unpacked once per few
// tokens; each token's result the same bits whatever T).
template <KQuant kType, KDotsFn kDots>
void kquantByRow(const std::uint8_t* w, const std::uint8_t*, std::int64_t cols,
                 std::int64_t rowBegin, std::int64_t rowEnd, const void* x, std::int64_t T,
                 float* y, std::int64_t ldy, float*) {
    const auto* xq = static_cast<const BlockQ8K*>(x);
    const std::int64_t nb = cols / kQK_K;
    const std::size_t rowBytes = std::size_t(nb) * kquantBlockBytes(kType);
    for (std::int64_t r = rowBegin; r < rowEnd; ++r)
        kDots(w + std::size_t(r) * rowBytes, xq, nb, T, y + (r - rowBegin), ldy);
}

// The same, with one token (decode) by a body that takes several rows at once (the same bits as
// kDots gives each row).
template <KQuant kType, KDotsFn kDots, KRowsFn kRows>
void kquantByRowOrRows(const std::uint8_t* w, const std::uint8_t* scale, std::int64_t cols,
                       std::int64_t rowBegin, std::int64_t rowEnd, const void* x, std::int64_t T,
                       float* y, std::int64_t ldy, float* scratch) {
    if (T != 1) return kquantByRow<kType, kDots>(w, scale, cols, rowBegin, rowEnd, x, T, y, ldy, scratch);
    const std::int64_t nb = cols / kQK_K;
    const std::size_t rowBytes = std::size_t(nb) * kquantBlockBytes(kType);
    kRows(w + std::size_t(rowBegin) * rowBytes, rowEnd - rowBegin, static_cast<const BlockQ8K*>(x), nb, y);
}

MatmulSlot& slot(KernelTable& k, MatmulFormat f) { return k.matmul[int(f)]; }

template <GemmFn kGemm>
void setF32Products(KernelTable& k) {
    k.gemm = kGemm;
    const auto none = ActivationRounding::None;
    slot(k, MatmulFormat::F32) = {none, f32Product<WeightFormat::F32, kGemm>};
    slot(k, MatmulFormat::BF16) = {none, f32Product<WeightFormat::BF16, kGemm>};
    slot(k, MatmulFormat::F16) = {none, f32Product<WeightFormat::F16, kGemm>};
    slot(k, MatmulFormat::E4M3) = {none, f32Product<WeightFormat::E4M3, kGemm>};
    slot(k, MatmulFormat::E2M1) = {none, f32Product<WeightFormat::E2M1, kGemm>};
}

void setQuantProducts(KernelTable& k, IsaLevel level, bool vnni) {
    for (int q = 0; q < kQuantTypeCount; ++q) {
        const QuantType type = QuantType(q);
        const bool q8a = quantFormat(type).activation == ActivationBlock::Q8A;
        slot(k, matmulFormat(type)) = {q8a ? ActivationRounding::Q8A : ActivationRounding::Q8K,
                                       gemm_quant_slot(type, level, vnni)};
    }
}

// ---- one table per level -------------------------------------------------------------------

KernelTable scalarTable() {
    KernelTable k;
    k.name = "cpu-scalar";
    setF32Products<gemm_scalar>(k);
    const auto q8a = ActivationRounding::Q8A, q8k = ActivationRounding::Q8K;
    slot(k, MatmulFormat::Q8_0) = {q8a, q8aProduct<gemm_q8_0_q8a_ref>};
    slot(k, MatmulFormat::MXFP4) = {q8a, q8aProduct<gemm_mxfp4_q8a_ref>};
    slot(k, MatmulFormat::Q4_K) = {q8k, kquantByToken<KQuant::Q4_K, dot_q4_k_q8_k_ref>};
    slot(k, MatmulFormat::Q6_K) = {q8k, kquantByToken<KQuant::Q6_K, dot_q6_k_q8_k_ref>};
    slot(k, MatmulFormat::Q2_K) = {q8k, kquantByToken<KQuant::Q2_K, dot_q2_k_q8_k_ref>};
    slot(k, MatmulFormat::Q5_K) = {q8k, kquantByToken<KQuant::Q5_K, dot_q5_k_q8_k_ref>};
    setQuantProducts(k, IsaLevel::Scalar, false);
    k.quantizeQ8A = quantize_row_q8a_ref;
    k.quantizeQ8K = quantize_row_q8_k_ref;
    k.dot = dot_f32_ref;
    k.axpy = axpy_f32_ref;
    k.rmsnorm = rmsnorm_f32_ref;
    k.rope = rope_f32_ref;
    k.hcCollapse = hc_collapse_f32_ref;
    k.hcExpand = hc_expand_f32_ref;
    k.compressPool = compress_pool_f32_ref;
    k.attnSink = attn_sink_f32_ref;
    k.indexerScore = indexer_score_f32_ref;
    k.indexerScoreFp4 = indexer_score_fp4_ref;
    k.topk = topk_f32_ref;  // exact: no arithmetic, one body for every level
    k.fp8Quant = fp8_quant_e4m3_f32_ref;
    k.fp8Dequant = fp8_dequant_e4m3_f32_ref;
    k.fp8Simulate = fp8_simulate_e4m3_f32_ref;
    k.roundBf16 = round_bf16_f32_ref;
    k.fp4Dequant = fp4_dequant_e2m1_f32_ref;
    return k;
}

#if defined(__x86_64__)

KernelTable avx2Table() {
    KernelTable k = scalarTable();
    k.name = "cpu-avx2";
    setF32Products<gemm_avx2>(k);
    const auto q8a = ActivationRounding::Q8A, q8k = ActivationRounding::Q8K;
    slot(k, MatmulFormat::Q8_0) = {q8a, q8aProduct<gemm_q8_0_q8a_avx2>};
    slot(k, MatmulFormat::MXFP4) = {q8a, q8aProduct<gemm_mxfp4_q8a_avx2>};
    slot(k, MatmulFormat::Q4_K) = {q8k, kquantByRowOrRows<KQuant::Q4_K, dots_q4_k_q8_k_avx2, rows_q4_k_q8_k_avx2>};
    slot(k, MatmulFormat::Q6_K) = {q8k, kquantByRowOrRows<KQuant::Q6_K, dots_q6_k_q8_k_avx2, rows_q6_k_q8_k_avx2>};
    slot(k, MatmulFormat::Q2_K) = {q8k, kquantByRowOrRows<KQuant::Q2_K, dots_q2_k_q8_k_avx2, rows_q2_k_q8_k_avx2>};
    slot(k, MatmulFormat::Q5_K) = {q8k, kquantByRowOrRows<KQuant::Q5_K, dots_q5_k_q8_k_avx2, rows_q5_k_q8_k_avx2>};
    setQuantProducts(k, IsaLevel::Avx2, false);
    k.quantizeQ8A = quantize_row_q8a_avx2;
    k.quantizeQ8K = quantize_row_q8_k_avx2;
    k.dot = dot_f32_avx2;
    k.axpy = axpy_f32_avx2;
    k.rmsnorm = rmsnorm_f32_avx2;
    k.rope = rope_f32_avx2;
    k.hcCollapse = hc_collapse_f32_avx2;
    k.hcExpand = hc_expand_f32_avx2;
    k.compressPool = compress_pool_f32_avx2;
    k.attnSink = attn_sink_f32_avx2;
    k.indexerScore = indexer_score_f32_avx2;
    k.indexerScoreFp4 = indexer_score_fp4_avx2;
    k.fp8Quant = fp8_quant_e4m3_f32_avx2;
    k.fp8Dequant = fp8_dequant_e4m3_f32_avx2;
    k.fp8Simulate = fp8_simulate_e4m3_f32_avx2;
    k.roundBf16 = round_bf16_f32_avx2;
    k.fp4Dequant = fp4_dequant_e2m1_f32_avx2;
    return k;
}

// AVX2 with AVX-VNNI (vpdpbusd on 256 bits, CPUs without AVX-512): the Q8_0, MXFP4 and K-quant
// products and the indexer's integer scores, the same bits as AVX2's. One token (decode) keeps AVX2's four-row K-quant bodies:
// their vpaddd chain is shorter than the vpdpwssd one, and in the same-run A/B on the bench
// preset AVX-VNNI helped prefill (+8%) but not decode.
KernelTable avx2VnniTable() {
    KernelTable k = avx2Table();
    k.name = "cpu-avx2-vnni";
    const auto q8a = ActivationRounding::Q8A, q8k = ActivationRounding::Q8K;
    slot(k, MatmulFormat::Q8_0) = {q8a, q8aProduct<gemm_q8_0_q8a_avxvnni>};
    slot(k, MatmulFormat::MXFP4) = {q8a, q8aProduct<gemm_mxfp4_q8a_avxvnni>};
    k.indexerScoreFp4 = indexer_score_fp4_avxvnni;
    slot(k, MatmulFormat::Q4_K) = {q8k, kquantByRowOrRows<KQuant::Q4_K, dots_q4_k_q8_k_avxvnni, rows_q4_k_q8_k_avx2>};
    slot(k, MatmulFormat::Q6_K) = {q8k, kquantByRowOrRows<KQuant::Q6_K, dots_q6_k_q8_k_avxvnni, rows_q6_k_q8_k_avx2>};
    slot(k, MatmulFormat::Q2_K) = {q8k, kquantByRowOrRows<KQuant::Q2_K, dots_q2_k_q8_k_avxvnni, rows_q2_k_q8_k_avx2>};
    slot(k, MatmulFormat::Q5_K) = {q8k, kquantByRowOrRows<KQuant::Q5_K, dots_q5_k_q8_k_avxvnni, rows_q5_k_q8_k_avx2>};
    return k;
}

// The vector ops, the FP8 encode and the FP4 decode, activation rounding, Q8_0, MXFP4 and Q5_K
// products stay AVX2's.
KernelTable avx512Table() {
    KernelTable k = avx2Table();
    k.name = "cpu-avx512";
    setF32Products<gemm_avx512>(k);
    const auto q8k = ActivationRounding::Q8K;
    slot(k, MatmulFormat::Q4_K) = {q8k, kquantByToken<KQuant::Q4_K, dot_q4_k_q8_k_avx512>};
    slot(k, MatmulFormat::Q6_K) = {q8k, kquantByToken<KQuant::Q6_K, dot_q6_k_q8_k_avx512>};
    slot(k, MatmulFormat::Q2_K) = {q8k, kquantByToken<KQuant::Q2_K, dot_q2_k_q8_k_avx512>};
    setQuantProducts(k, IsaLevel::Avx512, false);
    k.dot = dot_f32_avx512;
    k.axpy = axpy_f32_avx512;
    k.attnSink = attn_sink_f32_avx512;
    k.indexerScore = indexer_score_f32_avx512;
    k.indexerScoreFp4 = indexer_score_fp4_avx512;
    k.fp8Dequant = fp8_dequant_e4m3_f32_avx512;
    k.roundBf16 = round_bf16_f32_avx512;
    return k;
}

// AVX-512 with VNNI (vpdpbusd): the integer products only. K-quant decode reads one row after
// another: four rows at a time (AVX2's decode tile) measured 20% slower on the bench preset's
// 1024-column rows (four 576-byte streams, the same prefetcher limit as gemm_q8_avx2.cpp notes),
// and equal with the next panel prefetched.
KernelTable avx512VnniTable() {
    KernelTable k = avx512Table();
    k.name = "cpu-avx512-vnni";
    const auto q8a = ActivationRounding::Q8A, q8k = ActivationRounding::Q8K;
    slot(k, MatmulFormat::Q8_0) = {q8a, q8aProduct<gemm_q8_0_q8a_avx512vnni>};
    slot(k, MatmulFormat::MXFP4) = {q8a, q8aProduct<gemm_mxfp4_q8a_avx512vnni>};
    slot(k, MatmulFormat::Q4_K) = {q8k, kquantByRow<KQuant::Q4_K, dots_q4_k_q8_k_avx512vnni>};
    slot(k, MatmulFormat::Q6_K) = {q8k, kquantByRow<KQuant::Q6_K, dots_q6_k_q8_k_avx512vnni>};
    slot(k, MatmulFormat::Q2_K) = {q8k, kquantByRow<KQuant::Q2_K, dots_q2_k_q8_k_avx512vnni>};
    slot(k, MatmulFormat::Q5_K) = {q8k, kquantByRow<KQuant::Q5_K, dots_q5_k_q8_k_avx512vnni>};
    setQuantProducts(k, IsaLevel::Avx512, true);
    k.indexerScoreFp4 = indexer_score_fp4_avx512vnni;
    return k;
}

#endif

struct CpuTables {
    KernelTable scalar;
#if defined(__x86_64__)
    KernelTable avx2 = avx2Table(), avx2Vnni = avx2VnniTable(), avx512 = avx512Table(),
                avx512Vnni = avx512VnniTable();
#endif
};

}  // namespace

const KernelTable& cpuKernels(IsaLevel level, bool allowVnni) {
    static const CpuTables tables{scalarTable()};
#if defined(__x86_64__)
    if (level == IsaLevel::Avx512)
        return allowVnni && cpuFeatures().avx512vnni ? tables.avx512Vnni : tables.avx512;
    if (level == IsaLevel::Avx2) return allowVnni && cpuFeatures().avxvnni ? tables.avx2Vnni : tables.avx2;
#endif
    return tables.scalar;  // Neon has no bodies of its own yet
}

const KernelTable& cpuKernels() { return cpuKernels(activeIsaLevel()); }

}  // namespace atelier::kernels
