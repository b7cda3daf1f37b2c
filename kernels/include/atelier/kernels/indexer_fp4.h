#pragma once
// The lightning indexer's scores in integer form (model spec §5.2, Release numerics): the
// queries and the cached keys are both MXFP4 (E2M1 codes, one power-of-two scale per 32
// elements), so within a block q · k is an integer dot of doubled codes (2·e2m1 ∈ [−12, 12])
// times the two scales. The SIMD levels run it as int8 products (vpdpbusd, or vpmaddubsw +
// vpmaddwd), 64 multiply-adds per instruction instead of a float FMA's 16, and read the keys
// straight from the cache's packed bytes, never decoding them to floats.
//
// Every level gives the same bits (the tests check each against the `_ref`): the integer
// parts are exact, and the float steps run in one fixed order, written out in the `_ref`:
//   per key s, head h: d_h = t_0 + t_1 + … (left to right) with t_b = (float(i_hb) · qs_hb) · ks_b,
//     i_hb the block's integer dot, qs_hb = the query block's scale / 4, ks_b the key's scale;
//   p_h = w_h · max(d_h, 0) (NaN gives 0);
//   heads in 16 lanes: L_l = p_l + p_{16+l} + p_{32+l} + … (left to right), then the lanes in
//   halves: L_l += L_{l+8}, L_l += L_{l+4}, L_l += L_{l+2}, score = L_0 + L_1.
// Thread-safe: pure functions.

#include <cstddef>
#include <cstdint>

#include "atelier/kernels/cpu_features.h"

namespace atelier::kernels {

// c_I (dim) is a multiple of 32 and at most kIndexerMaxDim (ModelConfig's limit on
// index_head_dim).
inline constexpr int kIndexerMaxDim = 4096;

// Heads are scored 16 to a vector; a query's heads are padded to a multiple of this (the
// padding has weight 0 and adds +0).
inline constexpr int kIndexerHeadLanes = 16;

inline int indexerPaddedHeads(int nI) {
    return (nI + kIndexerHeadLanes - 1) / kIndexerHeadLanes * kIndexerHeadLanes;
}

// A query in the order the kernels read it (indexer_query_fp4_pack writes it), with
// heads = the padded head count and dim = c_I, a multiple of 32:
//   codes   [dim/4][heads][4]  int8: doubled E2M1 codes of dims 4g..4g+3 of head h
//   offsets [dim/32][heads]    int32: −12 · Σ of head h's codes in block b (the keys are
//                              read as unsigned code + 12)
//   scales  [dim/32][heads]    float: head h's block scale / 4
//   weights [heads]            float: w_h, 0 for padding
struct IndexerQueryFp4 {
    int heads = 0;
    int dim = 0;
    const std::int8_t* codes = nullptr;
    const std::int32_t* offsets = nullptr;
    const float* scales = nullptr;
    const float* weights = nullptr;
};

// Bytes of one packed query (a multiple of 64, so queries packed back to back stay aligned).
std::size_t indexerQueryFp4Bytes(int nI, int cI);

// Packs a query: codes [nI, cI] doubled E2M1 codes (2·e2m1: 0, ±1, ±2, ±3, ±4, ±6, ±8, ±12),
// blockScales [nI, cI/32] the power-of-two block scales (element = code / 2 · scale), w [nI].
// out: indexerQueryFp4Bytes(nI, cI) bytes, at least 4-byte aligned (the kernels load it
// unaligned; 64-byte alignment keeps its rows on cache lines). Returns the view over out.
IndexerQueryFp4 indexer_query_fp4_pack(const std::int8_t* codes, const float* blockScales,
                                       const float* w, int nI, int cI, void* out);

// scores [n] of n keys in the cache's packed MXFP4 format (packIndexerKey, kv_entry.h: c_I/2
// bytes of nibbles, element 2i low and 2i+1 high, then c_I/32 E8M0 scales), `stride` bytes
// apart, against a packed query. At activeIsaLevel() (cpuKernels().indexerScoreFp4).
void indexer_score_fp4(const IndexerQueryFp4& q, const std::uint8_t* keys, std::int64_t stride,
                       std::int64_t n, float* scores);
void indexer_score_fp4_ref(const IndexerQueryFp4& q, const std::uint8_t* keys,
                           std::int64_t stride, std::int64_t n, float* scores);
void indexer_score_fp4_avx2(const IndexerQueryFp4& q, const std::uint8_t* keys,
                            std::int64_t stride, std::int64_t n, float* scores);
void indexer_score_fp4_avxvnni(const IndexerQueryFp4& q, const std::uint8_t* keys,
                               std::int64_t stride, std::int64_t n, float* scores);
void indexer_score_fp4_avx512(const IndexerQueryFp4& q, const std::uint8_t* keys,
                              std::int64_t stride, std::int64_t n, float* scores);
void indexer_score_fp4_avx512vnni(const IndexerQueryFp4& q, const std::uint8_t* keys,
                                  std::int64_t stride, std::int64_t n, float* scores);

}  // namespace atelier::kernels
