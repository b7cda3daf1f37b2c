// The lightning indexer of CSA layers (spec §5.2): FP4 queries and keys after a Hadamard
// transform (Release), ReLU-weighted head scores, top-k with ties to the lower index. Release
// scores in integer form from the packed keys (kernels/indexer_fp4.h); Plain in floats.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "atelier/engine/dtype.h"
#include "atelier/engine/kv_entry.h"
#include "atelier/kernels/indexer_score.h"
#include "forward/forward_internal.h"
#include "forward/thread_pool.h"

namespace atelier::engine::fwd {

void indexerSelect(const Chunk& ch, const RopeTable& rope, const LayerCache& lc, float* q,
                   float* wts, std::vector<std::int32_t>& sel, std::vector<std::int32_t>& counts) {
    Workspace& ws = ch.ws;
    const kernels::KernelTable& k = *ws.kernels;
    const ModelConfig& cfg = ch.cfg;
    const int nI = cfg.indexNHeads, cI = cfg.indexHeadDim, r = cfg.ropeHeadDim;
    const int topk = cfg.indexTopk;
    const std::int64_t T = ch.T;
    const float wScale = 1.0f / std::sqrt(float(cI) * float(nI));
    const bool release = ch.numerics == Numerics::Release;
    // Release keeps the keys in MXFP4 and rounds the queries to it, so the scores run in
    // integer form (kernels/indexer_fp4.h), reading the keys straight from the cache's pages.
    const bool integer = release && ch.cache.packed() && k.indexerScoreFp4 && cI % 32 == 0 &&
                         cI <= kernels::kIndexerMaxDim;
    const int blocks = cI / 32;
    const std::size_t queryFloats = kernels::indexerQueryFp4Bytes(nI, cI) / 4;
    if (integer) {
        ws.indexCodes.resize(std::size_t(T * nI * cI));
        grow(ws.indexScales, std::size_t(T * nI * blocks));
        grow(ws.indexPacked, std::size_t(T) * queryFloats);
        ws.indexQueries.resize(std::size_t(T));
    }
    // Each (query, head) alone, split across the pool (64 heads of Hadamard transform and FP4
    // rounding per query: at decode 36 us per CSA layer, and serial over a prefill chunk).
    splitAcrossPool(ws, T * nI, 16, [&](std::int64_t u0, std::int64_t u1) {
        float cs[64], sn[64];
        std::int64_t angles = -1;  // the query whose angles cs, sn hold
        for (std::int64_t u = u0; u < u1; ++u) {
            const std::int64_t t = u / nI;
            const int h = int(u % nI);
            if (t != angles) ropeAngles(rope, ch.start + t, cs, sn), angles = t;
            float* qh = q + (t * nI + h) * cI;
            k.rope(qh + (cI - r), cs, sn, r, false);
            if (release) roundToBf16(k, qh, cI);
            hadamardTransform(qh, cI);
            if (release) {
                roundToBf16(k, qh, cI);  // the rotation reads and writes bf16
                if (integer)
                    quantizeIndexerQuery(qh, cI, ws.indexCodes.data() + (t * nI + h) * cI,
                                         ws.indexScales.data() + (t * nI + h) * blocks);
                else
                    simulateFp4(qh, cI);
            }
            if (release) wts[t * nI + h] = bf16ToF32(f32ToBf16(wts[t * nI + h]));  // a bf16 Linear
            wts[t * nI + h] *= wScale;
        }
    });
    if (integer)
        for (std::int64_t t = 0; t < T; ++t)
            ws.indexQueries[std::size_t(t)] = kernels::indexer_query_fp4_pack(
                ws.indexCodes.data() + t * nI * cI, ws.indexScales.data() + t * nI * blocks,
                wts + t * nI, nI, cI, ws.indexPacked.data() + std::size_t(t) * queryFloats);
    const std::int64_t nKeys = (ch.start + T) / 4;  // keys visible to the chunk's last query
    float* scores = grow(ws.scores, std::size_t(nKeys));
    sel.resize(std::size_t(T * topk));
    counts.resize(std::size_t(T));
    ws.order.resize(std::size_t(nKeys));
    // Keys are decoded and scored in ranges across the pool (at 32K a CSA layer has 8192 keys
    // × 64 heads per query). Each score is computed alone, so any split gives the same bits.
    const int threads = ws.pool ? ws.pool->threads() : 1;
    auto partsFor = [&](std::int64_t n) {
        return n * nI * cI < (std::int64_t(1) << 18) ? 1 : int(std::min<std::int64_t>(threads, n));
    };
    auto run = [&](int parts, auto& fn) {
        if (parts > 1) ws.pool->run(parts, fn);
        else fn(0);
    };
    // Release: keys [b, e) scored against query t, one call per run of keys on one page.
    const std::int64_t perPage = lc.indexKeys.entriesPerPage(), stride = lc.indexKeys.dataBytes();
    auto scoreFp4 = [&](std::int64_t t, std::int64_t b, std::int64_t e) {
        for (std::int64_t s0 = b; s0 < e;) {
            const std::int64_t s1 = std::min(e, (s0 / perPage + 1) * perPage);
            k.indexerScoreFp4(ws.indexQueries[std::size_t(t)], lc.indexKeys.at(s0).first, stride,
                              s1 - s0, scores + s0);
            s0 = s1;
        }
    };
    // Scores keys [0, visible) in `parts` ranges (score(p, b, e)) and selects their top k into out.
    // Each part also selects the top k of its own range, while those scores are in its cache;
    // one selection over the parts' candidates finishes: the top k of a union is among its
    // parts' top k, and the order is strict, so these are the indices one selection over all
    // keys gives (kernels::topk_among). At 128K that runs 32K keys' selection in halves.
    auto scoreAndSelect = [&](int parts, std::int64_t visible, auto&& score, std::int32_t* out) {
        if (parts == 1) {
            score(0, std::int64_t(0), visible);
            return std::int32_t(k.topk(scores, visible, topk, out, ws.order.data()));
        }
        ws.partTop.resize(std::size_t(parts));
        std::int64_t* found = ws.partTop.data();
        auto part = [&](int p) {
            const std::int64_t b = visible * p / parts, e = visible * (p + 1) / parts;
            score(p, b, e);
            std::int32_t* cand = ws.order.data() + b;
            std::iota(cand, cand + (e - b), std::int32_t(b));
            found[p] = kernels::topk_among(scores, cand, e - b, topk, cand);
        };
        ws.pool->run(parts, part);
        std::int64_t m = 0;  // the candidates, packed to the front (each part's start is >= m)
        for (int p = 0; p < parts; ++p) {
            std::memmove(ws.order.data() + m, ws.order.data() + visible * p / parts,
                         std::size_t(found[p]) * sizeof(std::int32_t));
            m += found[p];
        }
        return std::int32_t(kernels::topk_among(scores, ws.order.data(), m, topk, out));
    };
    const int decodeParts = partsFor(nKeys);
    if (integer) {
        for (std::int64_t t = 0; t < T; ++t) {
            const std::int64_t visible = (ch.start + t + 1) / 4;
            auto score = [&](int, std::int64_t b, std::int64_t e) { scoreFp4(t, b, e); };
            counts[std::size_t(t)] =
                scoreAndSelect(partsFor(visible), visible, score, sel.data() + t * topk);
        }
        return;
    }
    if (T == 1) {
        // A decode step: each part decodes its keys a tile at a time into its own L1-sized
        // buffer and scores the tile there (decoding all keys first wrote and re-read 4 MB per
        // 8K keys through memory).
        constexpr std::int64_t kTile = 32;  // 16 KB of keys at cI = 128
        float* tiles = grow(ws.keys, std::size_t(decodeParts * kTile * cI));
        auto score = [&](int p, std::int64_t b, std::int64_t e) {
            float* tile = tiles + p * kTile * cI;
            for (std::int64_t s0 = b; s0 < e; s0 += kTile) {
                const std::int64_t s1 = std::min(e, s0 + kTile);
                for (std::int64_t s = s0; s < s1; ++s)
                    readIndexKey(k, ch.cache, lc.indexKeys, s, tile + (s - s0) * cI);
                k.indexerScore(q, wts, nI, cI, tile, s1 - s0, scores + s0);
            }
        };
        counts[0] = scoreAndSelect(decodeParts, nKeys, score, sel.data());
        return;
    }
    float* keys = grow(ws.keys, std::size_t(nKeys * cI));  // [nKeys, cI]
    auto decode = [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t s = b; s < e; ++s) readIndexKey(k, ch.cache, lc.indexKeys, s, keys + s * cI);
    };
    auto decodePart = [&](int p) { decode(nKeys * p / decodeParts, nKeys * (p + 1) / decodeParts); };
    run(decodeParts, decodePart);
    for (std::int64_t t = 0; t < T; ++t) {
        const std::int64_t visible = (ch.start + t + 1) / 4;
        const int parts = partsFor(visible);
        auto scorePart = [&](int p) {
            const std::int64_t b = visible * p / parts, e = visible * (p + 1) / parts;
            k.indexerScore(q + t * nI * cI, wts + t * nI, nI, cI, keys + b * cI, e - b, scores + b);
        };
        run(parts, scorePart);
        counts[std::size_t(t)] =
            std::int32_t(k.topk(scores, visible, topk, sel.data() + t * topk, ws.order.data()));
    }
}

}  // namespace atelier::engine::fwd
