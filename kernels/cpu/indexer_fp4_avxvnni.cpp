// The indexer's integer scoring (indexer_fp4.h) built with -mavxvnni (vpdpbusd on 256 bits; only in
// the AVX-VNNI table): the body is indexer_fp4_avx2.inl. Called only when the CPU has the level.

#if defined(__AVXVNNI__)
#define ATELIER_INDEXER_FP4_NAME indexer_score_fp4_avxvnni
#include "indexer_fp4_avx2.inl"
#else
#include "atelier/kernels/indexer_fp4.h"

namespace atelier::kernels {
void indexer_score_fp4_avxvnni(const IndexerQueryFp4& q, const std::uint8_t* keys,
                               std::int64_t stride, std::int64_t n, float* scores) {
    indexer_score_fp4_ref(q, keys, stride, n, scores);
}
}  // namespace atelier::kernels
#endif
