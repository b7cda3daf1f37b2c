#pragma once
// ModelConfig: the DeepSeek V4 hyper-parameters (model spec §1.1), the presets that
// `atelier-cli model create` writes (spec §13 and CLI.md), and the numbers derived from them.
// Thread-safe: plain value type.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/base/result.h"

namespace atelier::engine {

enum class AttentionKind { SlidingWindow, Csa, Hca };

struct ModelConfig {
    std::string name = "deepseek-v4";
    std::int64_t vocabSize = 129280;     // V
    std::int64_t dim = 4096;             // d
    int nLayers = 43;                    // L (main blocks, MTP excluded)
    int nHeads = 64;                     // H
    int headDim = 512;                   // c (q, k and v)
    int ropeHeadDim = 64;                // r, the last r dims of each head
    int qLoraRank = 1024;                // d_c
    int oGroups = 8;                     // g
    int oLoraRank = 1024;                // d_g
    int windowSize = 128;                // W
    std::vector<int> compressRatios;     // L + nMtpLayers entries: 0 (SWA), 4 (CSA), 128 (HCA)
    int indexNHeads = 64;                // n_I
    int indexHeadDim = 128;              // c_I
    int indexTopk = 512;
    int nRoutedExperts = 256;            // E
    int nSharedExperts = 1;
    int nActivatedExperts = 6;           // k
    int moeInterDim = 2048;              // f (routed and shared)
    int nHashLayers = 3;
    float routeScale = 1.5f;             // routed_scaling_factor
    float swigluLimit = 10.0f;
    int hcMult = 4;                      // n_hc
    int hcSinkhornIters = 20;
    float hcEps = 1e-6f;
    float normEps = 1e-6f;
    double ropeTheta = 10000.0;          // ratio-0 layers, no YaRN
    double compressRopeTheta = 160000.0; // ratio-4/128 layers, with YaRN
    double yarnFactor = 16.0;
    std::int64_t yarnOriginalSeqLen = 65536;
    double yarnBetaFast = 32.0;
    double yarnBetaSlow = 1.0;
    int nMtpLayers = 1;
    std::int64_t maxPositionEmbeddings = 1048576;
    std::int64_t bosTokenId = 0;
    std::int64_t eosTokenId = 1;

    int compressRatio(int layer) const { return compressRatios.at(std::size_t(layer)); }
    AttentionKind attentionKind(int layer) const;
    bool isHashLayer(int layer) const { return layer < nHashLayers; }
    // κ: 2 when the compressor overlaps (ratio 4), else 1.
    int compressorOverlap(int layer) const { return compressRatio(layer) == 4 ? 2 : 1; }
    int ropeNopeDim() const { return headDim - ropeHeadDim; }

    // Checks internal consistency (and the constraints of spec §13 and llama.cpp's loader);
    // the message names the offending field.
    Result<void> validate() const;

    bool operator==(const ModelConfig&) const = default;
};

// Presets of `atelier-cli model create`: "tiny", "small", "bench", and "flash-slice"
// (V4-Flash's real widths, 4 of its blocks; setLayerCount for more).
Result<ModelConfig> presetConfig(std::string_view name);
std::vector<std::string> presetNames();

// Gives `c` `layers` main blocks: fewer keep the first ones; more continue the pattern (CSA and
// HCA alternating after the last block). MTP blocks stay; hash layers are cut to the count.
// A usage error outside 1..512.
Result<void> setLayerCount(ModelConfig& c, int layers);

// Derived sizes (spec §1.2, §10.3). Counts exclude MTP unless the name says so.
struct ModelSizes {
    std::int64_t paramsTotal = 0;        // main model, MTP excluded
    std::int64_t paramsActive = 0;       // per token: attention, shared and k routed experts, embed row, head
    std::int64_t paramsMtp = 0;
    double kvBytesPerToken = 0;          // production format: 584-byte entries, 68-byte FP4 indexer keys
    std::int64_t stateBytesPerSequence = 0;  // window rings + fp32 compressor state, MTP ring included
};
ModelSizes computeSizes(const ModelConfig& config);

}  // namespace atelier::engine
