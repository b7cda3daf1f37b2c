#pragma once
// The mechanisms of one block, each in its own file, as the reference forward composes them.
// Whole-sequence processing from position 0 (spec §7.1). Internal to the engine.
// Thread-safe: pure functions of their arguments.

#include <cstdint>
#include <span>
#include <vector>

#include "reference/reference_weights.h"

namespace atelier::engine::reference {

struct Context {
    const ModelConfig& config;
    bool release = true;  // Numerics::Release
};

// mHC (reference_hc.cpp, §3).
struct HcMix {
    Vec y;       // [d] sub-layer input Σ_j pre_j·X[j]
    Vec post;    // [n_hc]
    Vec comb;    // [n_hc·n_hc] row j, column k
};
HcMix hcPre(const Context& ctx, const Rows& streams, const HcParams& p);
Rows hcPost(const Context& ctx, std::span<const double> f, const Rows& streams, const HcMix& mix);
// Collapses the streams into one hidden vector (§2 step 4).
Vec hcHead(const Context& ctx, const Rows& streams, const HcParams& p);

// Compressed entries of one layer (reference_compressor.cpp, §5.1): floor(T/ratio) rows of c
// (main) or c_I (indexer) values, normed, RoPE'd at ratio·i and quantization-simulated.
enum class CompressedKind { Main, IndexerKey };
Rows compressEntries(const Context& ctx, const CompressorWeights& w, const Rows& xs, int ratio,
                     std::span<const double> freqs, CompressedKind kind);

// Lightning indexer (reference_indexer.cpp, §5.2): for each query p the selected compressed
// entries, ascending, among i < floor((p+1)/4).
std::vector<std::vector<int>> indexerSelect(const Context& ctx, const IndexerWeights& w,
                                            const Rows& xs, const Rows& cQ,
                                            std::span<const double> freqs);

// Attention sub-layer output [T][d] (reference_attention.cpp, §4–§6).
Rows attentionLayer(const Context& ctx, int layer, const AttentionWeights& w, const Rows& xs);

// MoE sub-layer output [d] for one token (reference_moe.cpp, §8.1–§8.2).
Vec moeForward(const Context& ctx, int layer, const MoeWeights& w, std::span<const double> x,
               std::int32_t token);

}  // namespace atelier::engine::reference
