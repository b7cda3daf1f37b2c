// indexer_score_f32 at every level: one body over the level's dot primitive (vec_ops.h), run
// from the CPU tables of each level (kernel_table_cpu.cpp); the top-k selection is one partial
// sort on indices.

#include "atelier/kernels/indexer_score.h"

#include <algorithm>
#include <numeric>

#include "atelier/kernels/gemv_ref.h"
#include "atelier/kernels/kernel_table.h"
#include "atelier/kernels/vec_ops.h"

namespace atelier::kernels {
namespace {

template <float (*Dot)(const float*, const float*, std::int64_t)>
void score(const float* q, const float* w, int nI, int cI, const float* keys, std::int64_t n,
           float* scores) {
    for (std::int64_t s = 0; s < n; ++s) {
        const float* k = keys + s * cI;
        float I = 0;
        for (int h = 0; h < nI; ++h) I += w[h] * std::max(Dot(q + std::int64_t(h) * cI, k, cI), 0.0f);
        scores[s] = I;
    }
}

}  // namespace

void indexer_score_f32_ref(const float* q, const float* w, int nI, int cI, const float* keys,
                           std::int64_t n, float* scores) {
    score<dot_f32_ref>(q, w, nI, cI, keys, n, scores);
}

void indexer_score_f32_at(IsaLevel level, const float* q, const float* w, int nI, int cI,
                          const float* keys, std::int64_t n, float* scores) {
    cpuKernels(level).indexerScore(q, w, nI, cI, keys, n, scores);
}

void indexer_score_f32(const float* q, const float* w, int nI, int cI, const float* keys,
                       std::int64_t n, float* scores) {
    cpuKernels().indexerScore(q, w, nI, cI, keys, n, scores);
}

std::int64_t topk_among(const float* scores, std::int32_t* cand, std::int64_t m, std::int64_t k,
                        std::int32_t* idx) {
    k = std::min(k, m);
    // A strict total order (score, then index), so which k come first and their order are
    // unique: selecting them in linear time and sorting only those gives what a partial sort
    // gives (at 128K a CSA layer picks 512 of 32,768 keys each step).
    auto before = [scores](std::int32_t a, std::int32_t b) {
        return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
    };
    if (k < m) std::nth_element(cand, cand + k, cand + m, before);
    std::sort(cand, cand + k, before);
    if (idx != cand) std::copy(cand, cand + k, idx);
    return k;
}

std::int64_t topk_f32_ref(const float* scores, std::int64_t n, std::int64_t k, std::int32_t* idx,
                          std::int32_t* order) {
    std::iota(order, order + n, 0);
    return topk_among(scores, order, n, k, idx);
}

}  // namespace atelier::kernels
