#pragma once
// The lightning indexer's scoring and selection (model spec §5.2), one body per level (the
// kernel table's indexerScore and topk slots, kernel_table.h):
//   I_s = Σ_h w_h · max(q_h · k_s, 0) over the keys s < n,
// then the k highest scores, ties to the lower index. The scalar level is the `_ref`; SIMD
// levels sum the dot products in another order (agreeing to rounding). Thread-safe: pure
// functions (the caller passes its scratch).

#include <cstdint>

#include "atelier/kernels/cpu_features.h"

namespace atelier::kernels {

// q [nI, cI], w [nI], keys [n, cI] → scores [n]. At activeIsaLevel() (cpuKernels()).
void indexer_score_f32(const float* q, const float* w, int nI, int cI, const float* keys,
                       std::int64_t n, float* scores);
void indexer_score_f32_at(IsaLevel level, const float* q, const float* w, int nI, int cI,
                          const float* keys, std::int64_t n, float* scores);
void indexer_score_f32_ref(const float* q, const float* w, int nI, int cI, const float* keys,
                           std::int64_t n, float* scores);
// The AVX2 and AVX-512 levels: four keys per pass over the query, each score the bits of the
// key-by-key loop over the level's dot_f32 (indexer_score_simd.inl).
void indexer_score_f32_avx2(const float* q, const float* w, int nI, int cI, const float* keys,
                            std::int64_t n, float* scores);
void indexer_score_f32_avx512(const float* q, const float* w, int nI, int cI, const float* keys,
                              std::int64_t n, float* scores);

// idx [min(k, n)]: the indices of the highest scores [n], highest first, ties to the lower
// index; order scratch [n]. Returns min(k, n). Exact at every level (no arithmetic).
std::int64_t topk_f32_ref(const float* scores, std::int64_t n, std::int64_t k, std::int32_t* idx,
                          std::int32_t* order);

// The same selection among the m indices into `scores` that cand [m] holds (reordered in
// place): idx [min(k, m)] highest first, ties to the lower index; idx may be cand. The top k of
// a union is the top k of each part's top k, so parts of the keys can select on their own and
// one call over their candidates finishes (the same indices as one call over all keys).
std::int64_t topk_among(const float* scores, std::int32_t* cand, std::int64_t m, std::int64_t k,
                        std::int32_t* idx);

}  // namespace atelier::kernels
