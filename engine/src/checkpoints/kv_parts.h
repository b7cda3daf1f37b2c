#pragma once
// The byte stream one on-disk checkpoint stores (model spec §10.4): the compressed entries
// and indexer keys of every CSA/HCA block up to the checkpoint's length (always), plus zero or
// more "window states" — the fixed per-sequence state (SWA rings and compressor tails) at
// chosen token counts. Restoring picks a starting point S (a stored window state, or a fresh
// state at a 128-token boundary far enough back that recomputing rebuilds the window exactly)
// and returns a KvCache of length S whose paged stores already hold the stored entries up to
// the hit: the caller recomputes the tokens after S and the forward reuses those entries
// (PagedStore::assignKnown) instead of the ones the recompute would make.
//
// Layout, little-endian: "ATKVPRT1", u32 version, u32 blocks; per block: u64 entries,
// u64 index keys, then ceil(n / perPage) whole pages of each; u32 states; per state: u64
// tokens, then per block its ring, compK, compZ, indexK, indexZ (sizes fixed by the config;
// at a 128-token boundary only the CSA rows 0–3 of the tails, see isCompact).
// Threads: free functions, no shared state.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "atelier/engine/kv_cache.h"
#include "atelier/base/result.h"

namespace atelier::engine::ckpt {

// Bumped when the layout changes; part of the model fingerprint. Never reuse a value.
inline constexpr std::uint32_t kPartsVersion = 1;

// `states` are forks of `sequence` at shorter (or equal) lengths, in increasing order.
std::vector<std::byte> encodeParts(const KvCache& sequence, std::span<const KvCache* const> states);

struct DecodedParts {
    struct Block {
        std::int64_t entries = 0, indexKeys = 0;
        std::vector<std::vector<std::uint8_t>> entryPages, indexPages;
    };
    struct State {
        std::int64_t tokens = 0;
        std::vector<LayerCache> blocks;  // only the fixed state fields are filled
    };
    std::vector<Block> blocks;
    std::vector<State> states;
};

// Parses a stream for `shape`'s config and numerics; any size that does not fit is BadInput.
Result<DecodedParts> decodeParts(std::span<const std::byte> bytes, const KvCache& shape);

// What can be checked without the model's config: the magic, the version, a plausible block
// count and the first block's entry counts. BadInput naming the offset otherwise.
Result<void> checkFraming(std::span<const std::byte> bytes);

// The first token that recompute-from-nothing must start at so that a sequence of `length`
// tokens ends with exact windows and compressor tails: length − (blocks · W + 128), rounded
// down to a 128-token boundary, at least 0.
std::int64_t recomputeStart(const ModelConfig& config, std::int64_t length);

// A sequence of the prefix tokens[0, S) whose stores know the entries of tokens[0, hit).
// S is the largest stored state ≤ hit, or recomputeStart(hit) when that is later.
KvCache restoreParts(const DecodedParts& parts, const KvCache& shape,
                     std::span<const std::int32_t> tokens, std::int64_t hit);

}  // namespace atelier::engine::ckpt
