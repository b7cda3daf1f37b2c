// The lightning indexer of CSA layers (spec §5.2): FP4 queries and keys after a Hadamard
// transform (Release), ReLU-weighted head scores, top-k with ties to the lower index.

#include <algorithm>
#include <cmath>
#include <numeric>

#include "atelier/engine/kv_entry.h"
#include "atelier/kernels/gemv_ref.h"
#include "forward/forward_internal.h"

namespace atelier::engine::fwd {

void indexerSelect(const Chunk& ch, const IndexerWeights& w, const RopeTable& rope,
                   const LayerCache& lc, const float* x, const float* cQ,
                   std::vector<std::int32_t>& sel, std::vector<std::int32_t>& counts) {
    Workspace& ws = ch.ws;
    const ModelConfig& cfg = ch.cfg;
    const int nI = cfg.indexNHeads, cI = cfg.indexHeadDim, r = cfg.ropeHeadDim;
    const int topk = cfg.indexTopk;
    const std::int64_t T = ch.T;
    float* q = grow(ws.indexQ, std::size_t(T * nI * cI));  // [T, nI, cI]
    float* wts = grow(ws.indexW, std::size_t(T * nI));     // [T, nI]
    matmul(w.wqB, cQ, T, q, ch.numerics, ws);
    matmul(w.weightsProj, x, T, wts, ch.numerics, ws);
    const float wScale = 1.0f / std::sqrt(float(cI) * float(nI));
    float cs[64], sn[64];
    for (std::int64_t t = 0; t < T; ++t) {
        ropeAngles(rope, ch.start + t, cs, sn);
        for (int h = 0; h < nI; ++h) {
            float* qh = q + (t * nI + h) * cI;
            applyRope(qh + (cI - r), cs, sn, r, false);
            hadamardTransform(qh, cI);
            if (ch.numerics == Numerics::Release) simulateFp4(qh, cI);
            wts[t * nI + h] *= wScale;
        }
    }
    const std::int64_t nKeys = (ch.start + T) / 4;  // keys visible to the chunk's last query
    float* keys = grow(ws.keys, std::size_t(nKeys * cI));  // [nKeys, cI]
    for (std::int64_t s = 0; s < nKeys; ++s) readIndexKey(ch.cache, lc.indexKeys, s, keys + s * cI);
    float* scores = grow(ws.scores, std::size_t(nKeys));
    sel.resize(std::size_t(T * topk));
    counts.resize(std::size_t(T));
    for (std::int64_t t = 0; t < T; ++t) {
        const std::int64_t visible = (ch.start + t + 1) / 4;
        for (std::int64_t s = 0; s < visible; ++s) {
            float I = 0;
            for (int h = 0; h < nI; ++h) {
                const float dot = kernels::dot_f32_ref(q + (t * nI + h) * cI, keys + s * cI, cI);
                I += wts[t * nI + h] * std::max(dot, 0.0f);
            }
            scores[s] = I;
        }
        const std::int64_t k = std::min<std::int64_t>(topk, visible);
        ws.order.resize(std::size_t(visible));
        std::iota(ws.order.begin(), ws.order.end(), 0);
        std::partial_sort(ws.order.begin(), ws.order.begin() + k, ws.order.end(),
                          [scores](std::int32_t a, std::int32_t b) {
                              return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
                          });
        std::copy(ws.order.begin(), ws.order.begin() + k, sel.begin() + t * topk);
        counts[std::size_t(t)] = std::int32_t(k);
    }
}

}  // namespace atelier::engine::fwd
