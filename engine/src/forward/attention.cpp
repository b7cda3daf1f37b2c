// Attention of all three layer kinds (spec §4–§6): the q path (low rank, q_norm, weightless
// per-head norm, RoPE), the raw kv path (kv_norm, RoPE, FP8 NoPE under Release), the window
// ∪ compressed entry set (HCA: all visible; CSA: the indexer's top-k), shared-KV MQA with the
// sink, inverse RoPE at the query position and the grouped low-rank output projection.
// Chunks: window keys before the chunk come from the ring, which is read before it is written.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "atelier/engine/kv_entry.h"
#include "forward/forward_internal.h"
#include "forward/thread_pool.h"

namespace atelier::engine::fwd {
namespace {

std::pair<std::uint8_t*, std::uint8_t*> ringSlot(const KvCache& cache, LayerCache& lc,
                                                 std::int64_t slot) {
    const std::int64_t W = cache.config().windowSize;
    std::uint8_t* base = lc.ring.data();
    return {base + slot * cache.entryDataBytes(),
            base + W * cache.entryDataBytes() + slot * cache.entryFooterBytes()};
}

// The chunk's kv entries [T, C] in place: RoPE, then the cache's number format. kv arrives
// as the kv_norm-ed product of all rows (attention()).
void kvRope(const Chunk& ch, float* kv) {
    const ModelConfig& cfg = ch.cfg;
    const kernels::KernelTable& k = *ch.ws.kernels;
    const int c = cfg.headDim, r = cfg.ropeHeadDim, half = r / 2;
    std::vector<std::uint8_t>& bytes = ch.ws.entryBytes;
    bytes.resize(std::size_t(ch.cache.entryFormat().bytes()));
    const EntryFormat& f = ch.cache.entryFormat();
    for (std::int64_t t = 0; t < ch.T; ++t) {
        float* e = kv + t * c;
        k.rope(e + (c - r), ch.ws.cosT.data() + t * half, ch.ws.sinT.data() + t * half, r, false);
        if (ch.cache.packed()) {  // FP8 NoPE, BF16 RoPE: exactly what the cache will hold
            packEntry(k, e, f, bytes.data(), bytes.data() + f.dataBytes());
            unpackEntry(k, bytes.data(), bytes.data() + f.dataBytes(), f, e);
        }
    }
}

// q [T, H, C] of the chunk in place: the weightless per-head norm and RoPE (q arrives as the
// low-rank product of all rows, attention()).
void qHeads(const Chunk& ch, float* q) {
    const ModelConfig& cfg = ch.cfg;
    const kernels::KernelTable& k = *ch.ws.kernels;
    const int H = cfg.nHeads, c = cfg.headDim, r = cfg.ropeHeadDim, half = r / 2;
    for (std::int64_t t = 0; t < ch.T; ++t)
        for (int h = 0; h < H; ++h) {
            float* qh = q + (t * H + h) * c;
            k.rmsnorm(qh, nullptr, c, cfg.normEps, qh);
            if (ch.numerics == Numerics::Release) roundToBf16(k, qh, c);  // normed in the bf16 q
            k.rope(qh + (c - r), ch.ws.cosT.data() + t * half, ch.ws.sinT.data() + t * half, r, false);
            if (ch.numerics == Numerics::Release) roundToBf16(k, qh, c);  // the kernel reads bf16
        }
}

// out [T, D] = W_ob · concat_g(W_oa[g] · o_g) (spec §4.5). The groups' products are one pool
// hand-off (rows [k·d_g, (k+1)·d_g) of W_oa against group k's heads), not one each.
void outputProjection(const Chunk& ch, const AttentionWeights& w, const float* o, float* out) {
    const ModelConfig& cfg = ch.cfg;
    const std::int64_t g = cfg.oGroups, dg = cfg.oLoraRank, T = ch.T;
    const std::int64_t gs = std::int64_t(cfg.nHeads / cfg.oGroups) * cfg.headDim;
    float* og = grow(ch.ws.groupIn, std::size_t(g * T * gs));  // [g][T, (H/g)·C]
    float* u = grow(ch.ws.groupOut, std::size_t(T * g * dg));  // [T, g·d_g]
    std::vector<MatmulJob>& jobs = ch.ws.jobs;
    jobs.clear();
    for (std::int64_t k = 0; k < g; ++k) {
        float* in = og + k * T * gs;
        for (std::int64_t t = 0; t < T; ++t)
            std::memcpy(in + t * gs, o + t * g * gs + k * gs, std::size_t(gs) * 4);
        jobs.push_back({&w.woA, in, T, u + k * dg, g * dg, k * dg, (k + 1) * dg});
    }
    matmulMany(jobs.data(), jobs.size(), ch.numerics, ch.ws);
    if (ch.numerics == Numerics::Release) roundToBf16(*ch.ws.kernels, u, ch.T * g * dg);  // BF16 einsum
    matmul(w.woB, u, ch.T, out, ch.numerics, ch.ws);
}

// Window rows [prev + T, C] into ws.window (positions start−prev … start+T−1): the ring's
// entries before the chunk, then the chunk's own kv (from kvRows [T, C]); then the chunk's last W entries go to the
// ring (after it was read). Returns prev.
std::int64_t windowRows(const Chunk& ch, LayerCache& lc, const float* kvRows) {
    const kernels::KernelTable& k = *ch.ws.kernels;
    const int c = ch.cfg.headDim;
    const std::int64_t W = ch.cfg.windowSize, T = ch.T, start = ch.start;
    const std::int64_t prev = std::min(start, W - 1);
    float* win = grow(ch.ws.window, std::size_t((prev + T) * c));
    for (std::int64_t i = 0; i < prev; ++i) {
        auto [data, footer] = ringSlot(ch.cache, lc, (start - prev + i) % W);
        if (ch.cache.packed()) unpackEntry(k, data, footer, ch.cache.entryFormat(), win + i * c);
        else std::memcpy(win + i * c, data, std::size_t(c) * 4);
    }
    float* kv = win + prev * c;
    std::memcpy(kv, kvRows, std::size_t(T * c) * 4);
    kvRope(ch, kv);
    for (std::int64_t t = std::max<std::int64_t>(0, T - W); t < T; ++t) {
        auto [data, footer] = ringSlot(ch.cache, lc, (start + t) % W);
        if (ch.cache.packed()) packEntry(k, kv + t * c, ch.cache.entryFormat(), data, footer);
        else std::memcpy(data, kv + t * c, std::size_t(c) * 4);
    }
    return prev;
}

// o [T, H, C]: every query's heads over its window ∪ compressed set (the attn_sink kernel,
// heads split across the pool), then inverse RoPE. comp holds the decoded compressed entries:
// under HCA all visible ones [nComp, C], under CSA the selected ones, entry i in row
// ws.rowOf[i].
void attendAll(const Chunk& ch, const AttentionWeights& w, const LayerCache& lc, const float* q,
               std::int64_t prev, const float* comp, float* o) {
    const ModelConfig& cfg = ch.cfg;
    Workspace& ws = ch.ws;
    const kernels::KernelTable& k = *ws.kernels;
    const int H = cfg.nHeads, c = cfg.headDim, r = cfg.ropeHeadDim, half = r / 2;
    const std::int64_t W = cfg.windowSize, start = ch.start;
    const bool release = ch.numerics == Numerics::Release;
    const float* win = ws.window.data();
    const float tau = 1.0f / std::sqrt(float(c));
    const int parts = ws.pool ? std::min(ws.pool->threads(), H) : 1;
    for (std::int64_t t = 0; t < ch.T; ++t) {
        const std::int64_t p = start + t;
        ws.entries.clear();
        for (std::int64_t j = std::max<std::int64_t>(0, p - W + 1) - (start - prev); j <= prev + t; ++j)
            ws.entries.push_back(win + j * c);
        if (lc.ratio == 128)
            for (std::int64_t i = 0; i < (p + 1) / 128; ++i) ws.entries.push_back(comp + i * c);
        if (lc.ratio == 4)
            for (std::int32_t j = 0; j < ws.selectedCount[std::size_t(t)]; ++j)
                ws.entries.push_back(
                    comp + std::int64_t(ws.rowOf[std::size_t(ws.selected[std::size_t(t * cfg.indexTopk + j)])]) * c);
        const std::int64_t n = std::int64_t(ws.entries.size());
        float* z = grow(ws.probs, std::size_t(H * n));  // [H, n]
        auto headRange = [&](int part) {
            const int h0 = H * part / parts, h1 = H * (part + 1) / parts;
            float* ot = o + (t * H + h0) * c;
            k.attnSink(q + (t * H + h0) * c, h1 - h0, c, ws.entries.data(), n, w.sink.data() + h0,
                       tau, z + h0 * n, ot);
            if (release) roundToBf16(k, ot, std::int64_t(h1 - h0) * c);  // the kernel writes bf16
            for (int h = h0; h < h1; ++h) {
                float* oh = o + (t * H + h) * c;
                k.rope(oh + (c - r), ws.cosT.data() + t * half, ws.sinT.data() + t * half, r, true);
                if (release) roundToBf16(k, oh + (c - r), r);
            }
        };
        if (parts > 1) ws.pool->run(parts, headRange);
        else headRange(0);
    }
}

// The rows of every product of attention() that does not depend on a sequence's cache, for
// all rows of the batch. [T, ·] each; the compressor and indexer rows only where the layer
// has them.
struct RowProducts {
    float* cQ = nullptr;      // [T, d_c]
    float* kv = nullptr;      // [T, C]
    float* q = nullptr;       // [T, H, C]
    float* compK = nullptr;   // [T, κc] main compressor W_kv·x, W_gate·x
    float* compZ = nullptr;
    float* indexK = nullptr;  // [T, κc_I] indexer compressor
    float* indexZ = nullptr;
    float* indexQ = nullptr;  // [T, nI, cI]
    float* indexW = nullptr;  // [T, nI]
};

std::int64_t compressorWidth(const CompressorWeights& w) { return w.overlap ? 2 * w.width : w.width; }

// All of RowProducts in two pool runs: every product of x, then every product of c_Q.
RowProducts rowProducts(const Chunk& all, const AttentionWeights& w, int ratio, const float* x) {
    const ModelConfig& cfg = all.cfg;
    Workspace& ws = all.ws;
    const std::int64_t T = all.T, c = cfg.headDim, dc = cfg.qLoraRank;
    RowProducts r;
    r.cQ = grow(ws.cQ, std::size_t(T * dc));
    r.kv = grow(ws.kvRows, std::size_t(T * c));
    MatmulJob jobs[7] = {{&w.wqA, x, T, r.cQ, dc}, {&w.wkv, x, T, r.kv, c}};  // no allocation
    std::size_t n = 2;
    if (ratio != 0) {
        const std::int64_t kc = compressorWidth(w.comp);
        r.compK = grow(ws.compK, std::size_t(T * kc));
        r.compZ = grow(ws.compZ, std::size_t(T * kc));
        jobs[n++] = {&w.comp.wkv, x, T, r.compK, kc};
        jobs[n++] = {&w.comp.wgate, x, T, r.compZ, kc};
    }
    if (ratio == 4) {
        const std::int64_t kc = compressorWidth(w.indexer.comp), nI = cfg.indexNHeads;
        r.indexK = grow(ws.indexK, std::size_t(T * kc));
        r.indexZ = grow(ws.indexZ, std::size_t(T * kc));
        r.indexW = grow(ws.indexW, std::size_t(T * nI));
        jobs[n++] = {&w.indexer.comp.wkv, x, T, r.indexK, kc};
        jobs[n++] = {&w.indexer.comp.wgate, x, T, r.indexZ, kc};
        jobs[n++] = {&w.indexer.weightsProj, x, T, r.indexW, nI};
    }
    matmulMany(jobs, n, all.numerics, ws);
    rmsnormRows(*ws.kernels, r.cQ, T, dc, w.qNorm.data(), cfg.normEps, all.numerics);
    rmsnormRows(*ws.kernels, r.kv, T, c, w.kvNorm.data(), cfg.normEps, all.numerics);
    r.q = grow(ws.q, std::size_t(T * cfg.nHeads * c));
    jobs[0] = {&w.wqB, r.cQ, T, r.q, cfg.nHeads * c};
    n = 1;
    if (ratio == 4) {
        const std::int64_t qw = std::int64_t(cfg.indexNHeads) * cfg.indexHeadDim;
        r.indexQ = grow(ws.indexQ, std::size_t(T * qw));
        jobs[n++] = {&w.indexer.wqB, r.cQ, T, r.indexQ, qw};
    }
    matmulMany(jobs, n, all.numerics, ws);
    return r;
}

// One sequence's part of attention(): its cache, compressors and indexer, on the chunk's rows
// (`row` onwards) of the products; o [T, H, C] the chunk's rows.
void attendChunk(const Chunk& ch, int layer, const AttentionWeights& w, const RopeTable& rope,
                 const RowProducts& rp, std::int64_t row, float* o) {
    const ModelConfig& cfg = ch.cfg;
    Workspace& ws = ch.ws;
    LayerCache& lc = ch.cache.layer(layer);
    const int c = cfg.headDim, half = cfg.ropeHeadDim / 2;
    const std::int64_t T = ch.T, start = ch.start;
    grow(ws.cosT, std::size_t(T * half));
    grow(ws.sinT, std::size_t(T * half));
    for (std::int64_t t = 0; t < T; ++t)
        ropeAngles(rope, start + t, ws.cosT.data() + t * half, ws.sinT.data() + t * half);
    float* q = rp.q + row * cfg.nHeads * c;
    qHeads(ch, q);
    const std::int64_t prev = windowRows(ch, lc, rp.kv + row * c);

    if (lc.ratio != 0) {
        const std::int64_t kc = compressorWidth(w.comp);
        compress(ch, w.comp, rope, false, lc.compK, lc.compZ, lc.entries, rp.compK + row * kc,
                 rp.compZ + row * kc);
    }
    if (lc.ratio == 4) {
        const std::int64_t kc = compressorWidth(w.indexer.comp), nI = cfg.indexNHeads;
        compress(ch, w.indexer.comp, rope, true, lc.indexK, lc.indexZ, lc.indexKeys,
                 rp.indexK + row * kc, rp.indexZ + row * kc);
        indexerSelect(ch, rope, lc, rp.indexQ + row * nI * cfg.indexHeadDim, rp.indexW + row * nI,
                      ws.selected, ws.selectedCount);
    }
    const std::int64_t nComp = lc.ratio ? (start + T) / lc.ratio : 0;
    // The entries to decode, across the pool: under HCA all of them (at 128K, 1024 per layer
    // each step) into row i; under CSA those some query selected, packed in index order (row
    // rowOf[i]). Packed, the scratch is the selection's size, not the context's (at 1M tokens
    // a row per entry was 512 MB, of which 512 rows were used per step), and the selected rows
    // are contiguous for attention.
    std::vector<std::int32_t>& todo = ws.decodeList;
    todo.clear();
    if (lc.ratio == 4) {
        // The selected entries in index order, found in time of the selection's size when it
        // is smaller than the context (a decode step: 512 of 262,144 entries at 1M tokens),
        // else by one pass over the context (a long prefill chunk). rowOf is only read for
        // selected entries, each written here first, so it is grown and never cleared.
        const std::int64_t picks = std::accumulate(ws.selectedCount.begin(),
                                                   ws.selectedCount.begin() + T, std::int64_t(0));
        std::vector<std::int32_t>& rowOf = ws.rowOf;
        if (rowOf.size() < std::size_t(nComp)) rowOf.resize(std::size_t(nComp));
        auto eachPick = [&](auto&& f) {
            for (std::int64_t t = 0; t < T; ++t)
                for (std::int32_t j = 0; j < ws.selectedCount[std::size_t(t)]; ++j)
                    f(ws.selected[std::size_t(t * cfg.indexTopk + j)]);
        };
        if (picks < nComp) {
            eachPick([&](std::int32_t i) { todo.push_back(i); });
            std::sort(todo.begin(), todo.end());
            todo.erase(std::unique(todo.begin(), todo.end()), todo.end());
        } else {
            constexpr std::int32_t kPicked = -1;
            std::fill(rowOf.begin(), rowOf.begin() + nComp, 0);
            eachPick([&](std::int32_t i) { rowOf[std::size_t(i)] = kPicked; });
            for (std::int64_t i = 0; i < nComp; ++i)
                if (rowOf[std::size_t(i)] == kPicked) todo.push_back(std::int32_t(i));
        }
        for (std::size_t j = 0; j < todo.size(); ++j) rowOf[std::size_t(todo[j])] = std::int32_t(j);
    } else {
        for (std::int64_t i = 0; i < nComp; ++i) todo.push_back(std::int32_t(i));
    }
    const std::int64_t nTodo = std::int64_t(todo.size());
    float* comp = grow(ws.compressed, std::size_t(nTodo * c));  // [nTodo, C]
    const int parts = ws.pool && nTodo >= 64 ? std::min<int>(ws.pool->threads(), int(nTodo / 32)) : 1;
    auto decodePart = [&](int p) {
        for (std::int64_t j = nTodo * p / parts; j < nTodo * (p + 1) / parts; ++j)
            readEntry(*ws.kernels, ch.cache, lc.entries, todo[std::size_t(j)], comp + j * c);
    };
    if (parts > 1) ws.pool->run(parts, decodePart);
    else decodePart(0);
    attendAll(ch, w, lc, q, prev, comp, o);
}

// Whether a batch's sequences attend one per pool part (each on one thread, no hand-off
// inside) instead of one after another with each one's work split across the pool: at decode
// a sequence's part of a layer is a few small pool runs, so a batch of 4 on 2 threads spent
// more time handing off and waiting than attending. Only when every chunk is a few tokens (a
// long chunk keeps the whole pool) and the parts balance: taken longest first by whichever
// thread is free, they must end within a quarter of an even split. A chunk's cost is its
// tokens times the window plus its context, which ranks sequences by the entries they read.
// order: the chunks, longest first (the order of the parts).
bool attendBySequence(const std::vector<Chunk>& chunks, int threads, std::vector<std::int32_t>& order) {
    constexpr std::int64_t kMaxTokens = 8;
    constexpr int kMaxThreads = 256;
    if (threads < 2 || threads > kMaxThreads || chunks.size() < 2) return false;
    const std::int64_t W = chunks[0].cfg.windowSize;
    auto cost = [&](std::int32_t i) {
        const Chunk& ch = chunks[std::size_t(i)];
        return double(ch.T) * double(W + ch.start + ch.T);
    };
    order.resize(chunks.size());
    std::iota(order.begin(), order.end(), 0);
    double total = 0;
    for (std::int32_t i : order) {
        if (chunks[std::size_t(i)].T > kMaxTokens) return false;
        total += cost(i);
    }
    std::stable_sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) { return cost(a) > cost(b); });
    // List scheduling: each part goes to the thread that is free first.
    double busy[kMaxThreads] = {};
    for (std::int32_t i : order) *std::min_element(busy, busy + threads) += cost(i);
    return *std::max_element(busy, busy + threads) <= 1.25 * total / threads;
}

}  // namespace

void attention(const std::vector<Chunk>& chunks, const Chunk& all, int layer,
               const AttentionWeights& w, const RopeTable& rope, const float* x, float* out) {
    const ModelConfig& cfg = all.cfg;
    Workspace& ws = all.ws;
    const std::int64_t T = all.T, hc = std::int64_t(cfg.nHeads) * cfg.headDim;
    // The products that do not depend on a sequence's cache run once over every row, so a
    // batch reads their weights once per step.
    const RowProducts rp = rowProducts(all, w, cfg.compressRatio(layer), x);
    float* o = grow(ws.o, std::size_t(T * hc));  // [T, H, C]
    std::vector<std::int64_t>& rows = ws.chunkRows;
    rows.clear();
    std::int64_t row = 0;
    for (const Chunk& ch : chunks) {
        rows.push_back(row);
        row += ch.T;
    }
    if (ws.pool && attendBySequence(chunks, ws.pool->threads(), ws.chunkOrder)) {
        // Part p attends chunk order[p] with lane p's scratch; each sequence's work is split
        // the same way at any part count, so its bits are those of the other path.
        if (ws.lanes.size() < chunks.size()) ws.lanes.resize(chunks.size());
        auto part = [&](int p) {
            const std::size_t i = std::size_t(ws.chunkOrder[std::size_t(p)]);
            Workspace& lane = ws.lanes[std::size_t(p)];
            lane.kernels = ws.kernels;
            const Chunk& ch = chunks[i];
            const Chunk mine{ch.cfg, ch.numerics, ch.cache, lane, ch.start, ch.T, ch.tokens};
            attendChunk(mine, layer, w, rope, rp, rows[i], o + rows[i] * hc);
        };
        ws.pool->run(int(chunks.size()), part);
    } else {
        for (std::size_t i = 0; i < chunks.size(); ++i)
            attendChunk(chunks[i], layer, w, rope, rp, rows[i], o + rows[i] * hc);
    }
    outputProjection(all, w, o, out);
}

}  // namespace atelier::engine::fwd
