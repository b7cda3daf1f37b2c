#pragma once
// A deepseek4 config small enough for exhaustive GGUF tests: every mechanism (SWA, CSA with
// indexer, HCA, hash and score routing, MTP) and every matrix input a multiple of 32 so that the
// Q8_0 and MXFP4 schemes apply.

#include "atelier/engine/model_config.h"

namespace atelier::engine::testing {

inline ModelConfig microGgufConfig() {
    ModelConfig c;
    c.name = "gguf-micro";
    c.vocabSize = 512;
    c.dim = 64;
    c.nLayers = 4;
    c.compressRatios = {0, 4, 128, 0, 0};
    c.nHeads = 2;
    c.headDim = 128;
    c.ropeHeadDim = 64;
    c.qLoraRank = 32;
    c.oGroups = 1;
    c.oLoraRank = 32;
    c.windowSize = 4;
    c.indexNHeads = 2;
    c.indexHeadDim = 64;
    c.indexTopk = 1;
    c.nRoutedExperts = 4;
    c.nActivatedExperts = 2;
    c.nSharedExperts = 1;
    c.moeInterDim = 32;
    c.nHashLayers = 1;
    c.routeScale = 1.5f;
    c.swigluLimit = 7.0f;
    c.nMtpLayers = 1;
    c.maxPositionEmbeddings = 4096;
    c.yarnOriginalSeqLen = 1024;
    return c;
}

}  // namespace atelier::engine::testing
