#pragma once
// Shared-KV (MQA) attention of one query's H heads over n gathered entries (the sliding window
// ∪ the compressed entries) with a learnable per-head sink (model spec §4.3), one body per
// level (the kernel table's attnSink slot, kernel_table.h):
//   o_h [C] = Σ_j exp(z_j − m) e_j / (Σ_j exp(z_j − m) + exp(sink_h − m)),
//   z_j = scale · q_h · e_j,  m = max(sink_h, max_j z_j).
// The scalar level is the `_ref`; SIMD levels sum the dot products in another order, so they
// agree with it to rounding. Thread-safe: pure functions (the caller passes its scratch).

#include <cstdint>

#include "atelier/kernels/cpu_features.h"

namespace atelier::kernels {

// Every level takes the heads in groups of this many, whose queries and outputs stay in L1
// (8 heads of 512: 16 KB each) while the entries stream past: each entry is read twice per
// group instead of twice per head (at 128K an HCA layer gathers 1152 entries, 2.3 MB, more than
// L2). Per head the operations and their order are those of the one-head loop (z_j in j order,
// the max, denom and o summed in j order), so the grouping changes no bit.
inline constexpr int kAttnHeadGroup = 8;

// q [H, C] f32; entries [n] pointers to [C] f32; sinks [H]; z scratch [H, n]; o [H, C] f32.
// At activeIsaLevel() (cpuKernels().attnSink).
void attn_sink_f32(const float* q, int H, int C, const float* const* entries, std::int64_t n,
                   const float* sinks, float scale, float* z, float* o);
// At an explicit level (tests; the level must be supported by this CPU).
void attn_sink_f32_at(IsaLevel level, const float* q, int H, int C, const float* const* entries,
                      std::int64_t n, const float* sinks, float scale, float* z, float* o);
void attn_sink_f32_ref(const float* q, int H, int C, const float* const* entries, std::int64_t n,
                       const float* sinks, float scale, float* z, float* o);
// The SIMD levels (x86 builds): the bits of the `_ref`'s body run over dot_f32_avx2 and
// axpy_f32_avx2 (over their AVX-512 versions), with several heads sharing each entry load.
void attn_sink_f32_avx2(const float* q, int H, int C, const float* const* entries, std::int64_t n,
                        const float* sinks, float scale, float* z, float* o);
void attn_sink_f32_avx512(const float* q, int H, int C, const float* const* entries,
                          std::int64_t n, const float* sinks, float scale, float* z, float* o);

}  // namespace atelier::kernels
