#include "cli/speed_prediction.h"

#include <algorithm>
#include <cmath>

namespace atelier::cli {

std::string dominantType(const engine::ModelFootprint& footprint) {
    std::string best;
    std::uint64_t bytes = 0;
    for (const auto& [name, t] : footprint.types)
        if (t.bytes > bytes) best = name, bytes = t.bytes;
    return best;
}

SpeedPrediction predictSpeed(const ModelCosts& costs, const engine::ModelConfig& config,
                             const engine::ModelFootprint& footprint, const SpeedInputs& in) {
    SpeedPrediction p;
    const double routed = double(footprint.routedExpertBytes);
    p.streaming = in.cacheBytes > 0 && routed > 0 && double(in.cacheBytes) < routed;
    // The cache holds a fraction c of the routed experts (the engine shares it among layers in
    // proportion to their experts). With routing spread evenly over the experts, a routed
    // expert is in the cache with probability c whatever the eviction policy (LRU and LFU under
    // independent uniform references both give c); routing that favours some experts only
    // raises a frequency policy's rate, so c is the conservative estimate.
    p.cachedFraction = p.streaming ? double(in.cacheBytes) / routed : 1.0;
    p.hitRate = in.hitRate >= 0 ? in.hitRate : p.cachedFraction;

    // A step of B sequences touches E·(1 − (1 − k/E)^B) experts per layer (uniform routing),
    // each read once for the whole batch.
    const double k = config.nActivatedExperts, E = config.nRoutedExperts;
    const int B = std::max(1, in.batch);
    p.expertBytesPerToken = costs.expertBytes * E * (1 - std::pow(1 - k / E, double(B))) * costs.moeLayers;
    p.residentBytesPerToken = decodeWeightBytes(costs, config, B) - p.expertBytesPerToken +
                              B * decodeCacheBytes(config, in.context);
    p.missBytesPerToken = (1 - p.hitRate) * p.expertBytesPerToken;
    // Decode is bound by the bytes it reads: every weight byte and the KV cache from memory,
    // and the missed experts from disk first. The engine reads a layer's missing experts as
    // soon as its router has chosen them, while it computes the shared and resident experts,
    // so the disk's time overlaps the memory's and the slower of the two sets the pace (an
    // optimistic bound: attention does not overlap; measured on a flash-slice Q4_K
    // block with a 28 % cache: 84 % of this bound; the sum of the two would predict 61 %).
    const double memorySeconds =
        (p.residentBytesPerToken + p.expertBytesPerToken) / (in.memoryGbs * in.decodeOfStream * 1e9);
    const double diskSeconds = in.diskGbs > 0 ? p.missBytesPerToken / (in.diskGbs * 1e9) : 0;
    p.decodeSeconds = std::max(memorySeconds, diskSeconds);
    p.decodeTokS = p.decodeSeconds > 0 ? B / p.decodeSeconds : 0;

    // Prefill is bound by arithmetic: two FLOPs per weight a token multiplies, at the FMA peak.
    // Streaming adds the experts a chunk routes to that the cache misses: a chunk of T tokens
    // touches E·(1 − (1 − k/E)^T) experts of each layer.
    p.prefillFlopsPerToken = 2 * costs.activeMatmulParams;
    const double T = std::max(1, in.prefillChunk);
    double chunkSeconds = T * p.prefillFlopsPerToken / (in.peakGflops * in.prefillOfPeak * 1e9);
    if (p.streaming && in.diskGbs > 0) {
        const double touched = E * (1 - std::pow(1 - k / E, T));
        chunkSeconds += (1 - p.hitRate) * touched * costs.expertBytes * costs.moeLayers / (in.diskGbs * 1e9);
    }
    p.prefillTokS = chunkSeconds > 0 ? T / chunkSeconds : 0;
    return p;
}

}  // namespace atelier::cli
