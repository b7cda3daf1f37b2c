// Attention of all three layer kinds (spec §4–§6): the q path (low rank, q_norm, weightless
// per-head norm, RoPE), the raw kv path (kv_norm, RoPE, FP8 NoPE under Release), the window
// ∪ compressed entry set (HCA: all visible; CSA: the indexer's top-k), shared-KV MQA with the
// sink, inverse RoPE at the query position and the grouped low-rank output projection.
// Chunks: window keys before the chunk come from the ring, which is read before it is written.

#include <algorithm>
#include <cmath>
#include <cstring>

#include "atelier/engine/kv_entry.h"
#include "atelier/kernels/gemv_ref.h"
#include "atelier/kernels/vec_ops.h"
#include "atelier/kernels/rmsnorm_ref.h"
#include "forward/forward_internal.h"

namespace atelier::engine::fwd {
namespace {

std::pair<std::uint8_t*, std::uint8_t*> ringSlot(const KvCache& cache, LayerCache& lc,
                                                 std::int64_t slot) {
    const std::int64_t W = cache.config().windowSize;
    std::uint8_t* base = lc.ring.data();
    return {base + slot * cache.entryDataBytes(),
            base + W * cache.entryDataBytes() + slot * cache.entryFooterBytes()};
}

// The raw kv entries [T, C] of the chunk, already in the cache's number format.
void kvPath(const Chunk& ch, const AttentionWeights& w, const float* x, float* kv) {
    const ModelConfig& cfg = ch.cfg;
    const int c = cfg.headDim, r = cfg.ropeHeadDim, half = r / 2;
    matmul(w.wkv, x, ch.T, kv, ch.numerics, ch.ws);
    rmsnormRows(kv, ch.T, c, w.kvNorm.data(), cfg.normEps, ch.numerics);
    std::vector<std::uint8_t>& bytes = ch.ws.entryBytes;
    bytes.resize(std::size_t(ch.cache.entryFormat().bytes()));
    const EntryFormat& f = ch.cache.entryFormat();
    for (std::int64_t t = 0; t < ch.T; ++t) {
        float* e = kv + t * c;
        applyRope(e + (c - r), ch.ws.cosT.data() + t * half, ch.ws.sinT.data() + t * half, r, false);
        if (ch.cache.packed()) {  // FP8 NoPE, BF16 RoPE: exactly what the cache will hold
            packEntry(e, f, bytes.data(), bytes.data() + f.dataBytes());
            unpackEntry(bytes.data(), bytes.data() + f.dataBytes(), f, e);
        }
    }
}

// q [T, H, C]: low-rank q path; cQ [T, d_c] is kept for the indexer.
void qPath(const Chunk& ch, const AttentionWeights& w, const float* x, float* cQ, float* q) {
    const ModelConfig& cfg = ch.cfg;
    const int H = cfg.nHeads, c = cfg.headDim, r = cfg.ropeHeadDim, half = r / 2;
    matmul(w.wqA, x, ch.T, cQ, ch.numerics, ch.ws);
    rmsnormRows(cQ, ch.T, cfg.qLoraRank, w.qNorm.data(), cfg.normEps, ch.numerics);
    matmul(w.wqB, cQ, ch.T, q, ch.numerics, ch.ws);
    for (std::int64_t t = 0; t < ch.T; ++t)
        for (int h = 0; h < H; ++h) {
            float* qh = q + (t * H + h) * c;
            kernels::rmsnorm_f32_ref(qh, nullptr, c, cfg.normEps, qh);
            if (ch.numerics == Numerics::Release) roundToBf16(qh, c);  // normed in the bf16 q
            applyRope(qh + (c - r), ch.ws.cosT.data() + t * half, ch.ws.sinT.data() + t * half, r,
                      false);
            if (ch.numerics == Numerics::Release) roundToBf16(qh, c);  // the kernel reads bf16
        }
}

// o_h [C] = Σ_j exp(z_j) e_j / (Σ_j exp(z_j) + exp(sink)), z_j = τ q_h·e_j (spec §4.3).
void sinkAttention(const float* qh, const std::vector<const float*>& entries, float sink, int c,
                   float* z, float* oh) {
    const float tau = 1.0f / std::sqrt(float(c));
    float m = sink;
    for (std::size_t j = 0; j < entries.size(); ++j) {
        z[j] = kernels::dot_f32(qh, entries[j], c) * tau;
        m = std::max(m, z[j]);
    }
    float denom = std::exp(sink - m);
    std::fill(oh, oh + c, 0.0f);
    for (std::size_t j = 0; j < entries.size(); ++j) {
        const float p = std::exp(z[j] - m);
        denom += p;
        kernels::axpy_f32(p, entries[j], oh, c);
    }
    for (int i = 0; i < c; ++i) oh[i] /= denom;
}

// out [T, D] = W_ob · concat_g(W_oa[g] · o_g) (spec §4.5).
void outputProjection(const Chunk& ch, const AttentionWeights& w, const float* o, float* out) {
    const ModelConfig& cfg = ch.cfg;
    const std::int64_t g = cfg.oGroups, dg = cfg.oLoraRank;
    const std::int64_t gs = std::int64_t(cfg.nHeads / cfg.oGroups) * cfg.headDim;
    float* og = grow(ch.ws.groupIn, std::size_t(ch.T * gs));  // [T, (H/g)·C]
    float* u = grow(ch.ws.groupOut, std::size_t(ch.T * g * dg));  // [T, g·d_g]
    for (std::int64_t k = 0; k < g; ++k) {
        for (std::int64_t t = 0; t < ch.T; ++t)
            std::memcpy(og + t * gs, o + t * g * gs + k * gs, std::size_t(gs) * 4);
        matmul(w.woA, og, ch.T, u + k * dg, ch.numerics, ch.ws, k * dg, (k + 1) * dg, g * dg);
    }
    if (ch.numerics == Numerics::Release) roundToBf16(u, ch.T * g * dg);  // the BF16 einsum
    matmul(w.woB, u, ch.T, out, ch.numerics, ch.ws);
}

// Window rows [prev + T, C] into ws.window (positions start−prev … start+T−1): the ring's
// entries before the chunk, then the chunk's own kv; then the chunk's last W entries go to the
// ring (after it was read). Returns prev.
std::int64_t windowRows(const Chunk& ch, const AttentionWeights& w, LayerCache& lc, const float* x) {
    const int c = ch.cfg.headDim;
    const std::int64_t W = ch.cfg.windowSize, T = ch.T, start = ch.start;
    const std::int64_t prev = std::min(start, W - 1);
    float* win = grow(ch.ws.window, std::size_t((prev + T) * c));
    for (std::int64_t i = 0; i < prev; ++i) {
        auto [data, footer] = ringSlot(ch.cache, lc, (start - prev + i) % W);
        if (ch.cache.packed()) unpackEntry(data, footer, ch.cache.entryFormat(), win + i * c);
        else std::memcpy(win + i * c, data, std::size_t(c) * 4);
    }
    float* kv = win + prev * c;
    kvPath(ch, w, x, kv);
    for (std::int64_t t = std::max<std::int64_t>(0, T - W); t < T; ++t) {
        auto [data, footer] = ringSlot(ch.cache, lc, (start + t) % W);
        if (ch.cache.packed()) packEntry(kv + t * c, ch.cache.entryFormat(), data, footer);
        else std::memcpy(data, kv + t * c, std::size_t(c) * 4);
    }
    return prev;
}

// o [T, H, C]: every query's heads over its window ∪ compressed set, then inverse RoPE.
// comp [nComp, C] holds the compressed entries visible to the chunk.
void attendAll(const Chunk& ch, const AttentionWeights& w, const LayerCache& lc, const float* q,
               std::int64_t prev, const float* comp, std::int64_t nComp, float* o) {
    const ModelConfig& cfg = ch.cfg;
    Workspace& ws = ch.ws;
    const int H = cfg.nHeads, c = cfg.headDim, r = cfg.ropeHeadDim, half = r / 2;
    const std::int64_t W = cfg.windowSize, start = ch.start;
    const bool release = ch.numerics == Numerics::Release;
    const float* win = ws.window.data();
    float* z = grow(ws.probs, std::size_t(W + std::max<std::int64_t>(nComp, cfg.indexTopk)));
    for (std::int64_t t = 0; t < ch.T; ++t) {
        const std::int64_t p = start + t;
        ws.entries.clear();
        for (std::int64_t j = std::max<std::int64_t>(0, p - W + 1) - (start - prev); j <= prev + t; ++j)
            ws.entries.push_back(win + j * c);
        if (lc.ratio == 128)
            for (std::int64_t i = 0; i < (p + 1) / 128; ++i) ws.entries.push_back(comp + i * c);
        if (lc.ratio == 4)
            for (std::int32_t j = 0; j < ws.selectedCount[std::size_t(t)]; ++j)
                ws.entries.push_back(comp + std::int64_t(ws.selected[std::size_t(t * cfg.indexTopk + j)]) * c);
        for (int h = 0; h < H; ++h) {
            float* oh = o + (t * H + h) * c;
            sinkAttention(q + (t * H + h) * c, ws.entries, w.sink[std::size_t(h)], c, z, oh);
            if (release) roundToBf16(oh, c);  // the attention kernel writes bf16
            applyRope(oh + (c - r), ws.cosT.data() + t * half, ws.sinT.data() + t * half, r, true);
            if (release) roundToBf16(oh + (c - r), r);
        }
    }
}

}  // namespace

void attention(const Chunk& ch, int layer, const AttentionWeights& w, const RopeTable& rope,
               const float* x, float* out) {
    const ModelConfig& cfg = ch.cfg;
    Workspace& ws = ch.ws;
    LayerCache& lc = ch.cache.layer(layer);
    const int H = cfg.nHeads, c = cfg.headDim, half = cfg.ropeHeadDim / 2;
    const std::int64_t T = ch.T, start = ch.start;
    grow(ws.cosT, std::size_t(T * half));
    grow(ws.sinT, std::size_t(T * half));
    for (std::int64_t t = 0; t < T; ++t)
        ropeAngles(rope, start + t, ws.cosT.data() + t * half, ws.sinT.data() + t * half);

    float* cQ = grow(ws.cQ, std::size_t(T * cfg.qLoraRank));
    float* q = grow(ws.q, std::size_t(T * H * c));
    qPath(ch, w, x, cQ, q);
    const std::int64_t prev = windowRows(ch, w, lc, x);

    if (lc.ratio != 0) compress(ch, w.comp, rope, false, lc.compK, lc.compZ, lc.entries, x);
    if (lc.ratio == 4) {
        compress(ch, w.indexer.comp, rope, true, lc.indexK, lc.indexZ, lc.indexKeys, x);
        indexerSelect(ch, w.indexer, rope, lc, x, cQ, ws.selected, ws.selectedCount);
    }
    const std::int64_t nComp = lc.ratio ? (start + T) / lc.ratio : 0;
    float* comp = grow(ws.compressed, std::size_t(nComp * c));  // [nComp, C]
    for (std::int64_t i = 0; i < nComp; ++i) readEntry(ch.cache, lc.entries, i, comp + i * c);

    float* o = grow(ws.o, std::size_t(T * H * c));  // [T, H, C]
    attendAll(ch, w, lc, q, prev, comp, nComp, o);
    outputProjection(ch, w, o, out);
}

}  // namespace atelier::engine::fwd
