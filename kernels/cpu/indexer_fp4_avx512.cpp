// The indexer's integer scoring (indexer_fp4.h) built with -mavx512f -mavx512bw (vpmaddubsw +
// vpmaddwd on 512 bits): the body is indexer_fp4_avx512.inl. Called only when the CPU has the
// level.

#if defined(__AVX512BW__)
#define ATELIER_INDEXER_FP4_NAME indexer_score_fp4_avx512
#include "indexer_fp4_avx512.inl"
#else
#include "atelier/kernels/indexer_fp4.h"

namespace atelier::kernels {
void indexer_score_fp4_avx512(const IndexerQueryFp4& q, const std::uint8_t* keys,
                              std::int64_t stride, std::int64_t n, float* scores) {
    indexer_score_fp4_ref(q, keys, stride, n, scores);
}
}  // namespace atelier::kernels
#endif
