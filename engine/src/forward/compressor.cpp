// KV compression (spec §5.1, §6.2–§6.3, §7.2): per-channel softmax pooling of the compressor
// state rows. The state is the "uncompressed tail" of the sequence: HCA keeps R rows of c
// channels, CSA 8 rows of 2c (rows 0–3 the previous block, 4–7 the current one) because its
// entries overlap: entry i pools the "b" channels [0, c) of block i−1 with the "a" channels
// [c, 2c) of block i. A chunk continues exactly where the state left off.

#include <cmath>
#include <cstring>

#include "atelier/engine/kv_entry.h"
#include "forward/forward_internal.h"

namespace atelier::engine::fwd {
namespace {

// E [c] = Σ_rows softmax_rows(Z[·, ch]) · K[·, ch], independently per channel.
void pool(const kernels::KernelTable& k, const CompressorWeights& w, const float* K,
          const float* Z, float* E) {
    const int c = w.width;
    k.compressPool(K, Z, c, w.overlap ? 2 * c : c, w.overlap ? 8 : w.ratio, w.overlap, E);
}

// Norm, RoPE at the block's first position, then the cache format (spec §5.1 post-processing).
void finishEntry(const Chunk& ch, const CompressorWeights& w, const RopeTable& rope,
                 bool indexer, std::int64_t blockStart, float* E, PagedStore& store) {
    const kernels::KernelTable& k = *ch.ws.kernels;
    const int c = w.width, r = ch.cfg.ropeHeadDim;
    const bool release = ch.numerics == Numerics::Release;
    if (release) roundToBf16(k, E, c);
    rmsnormRows(k, E, 1, c, w.norm.data(), ch.cfg.normEps, ch.numerics);
    float cs[64], sn[64];
    ropeAngles(rope, blockStart, cs, sn);
    k.rope(E + (c - r), cs, sn, r, false);
    auto [data, footer] = store.append();
    if (indexer) {
        if (release) roundToBf16(k, E + (c - r), r);
        hadamardTransform(E, c);
        if (release) {
            roundToBf16(k, E, c);  // the rotation reads and writes bf16
            packIndexerKey(E, c, data);
        } else {
            std::memcpy(data, E, std::size_t(c) * 4);
        }
    } else if (release) {
        packEntry(k, E, ch.cache.entryFormat(), data, footer);
    } else {
        std::memcpy(data, E, std::size_t(c) * 4);
    }
}

}  // namespace

void compress(const Chunk& ch, const CompressorWeights& w, const RopeTable& rope, bool indexer,
              std::vector<float>& K, std::vector<float>& Z, PagedStore& store, const float* kT,
              const float* zT) {
    Workspace& ws = ch.ws;
    const int c = w.width, ratio = w.ratio;
    const std::int64_t kc = w.overlap ? 2 * c : c;
    float* E = grow(ws.entry, std::size_t(c));
    for (std::int64_t t = 0; t < ch.T; ++t) {
        const std::int64_t p = ch.start + t;
        const std::int64_t slot = p % ratio;
        const std::int64_t row = (w.overlap ? 4 : 0) + slot;
        for (std::int64_t i = 0; i < kc; ++i) {
            K[std::size_t(row * kc + i)] = kT[t * kc + i];
            Z[std::size_t(row * kc + i)] = zT[t * kc + i] + w.ape[std::size_t(slot * kc + i)];
        }
        if ((p + 1) % ratio != 0) continue;
        pool(*ws.kernels, w, K.data(), Z.data(), E);
        finishEntry(ch, w, rope, indexer, p + 1 - ratio, E, store);
        if (w.overlap) {  // the closed block becomes the previous block
            std::memcpy(K.data(), K.data() + 4 * kc, std::size_t(4 * kc) * 4);
            std::memcpy(Z.data(), Z.data() + 4 * kc, std::size_t(4 * kc) * 4);
        }
    }
}

void readEntry(const kernels::KernelTable& k, const KvCache& cache, const PagedStore& s,
               std::int64_t i, float* out) {
    auto [data, footer] = s.at(i);
    if (cache.packed()) unpackEntry(k, data, footer, cache.entryFormat(), out);
    else std::memcpy(out, data, std::size_t(cache.config().headDim) * 4);
}

void readIndexKey(const kernels::KernelTable& k, const KvCache& cache, const PagedStore& s,
                  std::int64_t i, float* out) {
    const int dim = cache.config().indexHeadDim;
    auto [data, footer] = s.at(i);
    if (cache.packed()) unpackIndexerKey(k, data, dim, out);
    else std::memcpy(out, data, std::size_t(dim) * 4);
}

}  // namespace atelier::engine::fwd
