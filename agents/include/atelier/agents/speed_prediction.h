#pragma once
// The speed a model should reach on this machine, from the bytes and FLOPs each token needs
// (bench_measure's ModelCosts) and the machine's measured rates: `model plan` predicts with it
// and `bench` prints the same prediction next to what it measured. docs/cli.md (model plan)
// states the formulas. Thread-safe: pure functions.

#include <cstdint>
#include <string>

#include "atelier/agents/bench_measure.h"
#include "atelier/engine/model_config.h"
#include "atelier/engine/model_footprint.h"

namespace atelier::agents {

struct SpeedInputs {
    double memoryGbs = 0;        // STREAM triad
    double diskGbs = 0;          // the model file's disk, reads of one expert's size
    double peakGflops = 0;       // FMA peak, all threads
    std::uint64_t cacheBytes = 0;  // the expert cache; 0: every weight resident (mapped)
    std::int64_t context = 0;      // tokens already in the sequence at decode
    int prefillChunk = 512;        // tokens per prefill forward call
    int batch = 1;                 // sequences decoded together (one forward call a step)
    double hitRate = -1;           // a measured hit rate to use instead of the model's (< 0: none)
    double decodeOfStream = 1;     // the kernels' share of STREAM (machine_probe's KernelEfficiency)
    double prefillOfPeak = 1;      // the kernels' share of the FMA peak
    std::uint64_t availableBytes = 0;  // memory free for the weights (0: unknown, assumed enough)
};

// The stored type that holds most of the footprint's bytes ("BF16", "Q4_K"): the key of the
// kernel efficiencies `bench` records.
std::string dominantType(const engine::ModelFootprint& footprint);

struct SpeedPrediction {
    bool streaming = false;
    // Mapped weights larger than the free memory: the page cache cannot hold them and decode
    // pages them in at every step, far below the prediction (which assumes them resident);
    // `--memory-budget auto` would stream the experts instead.
    bool paging = false;
    double cachedFraction = 1;          // of the routed experts the cache holds
    double hitRate = 1;                 // expected expert uses served from the cache
    // Per decode step of `batch` sequences (per token at batch 1):
    double residentBytesPerToken = 0;   // non-expert weights, the embedding rows, the KV caches
    double expertBytesPerToken = 0;     // the routed experts the step's tokens touch
    double missBytesPerToken = 0;       // of those, read from disk
    double decodeSeconds = 0;           // per step
    double decodeTokS = 0;              // all sequences together
    double prefillFlopsPerToken = 0;
    double prefillTokS = 0;
};

SpeedPrediction predictSpeed(const ModelCosts& costs, const engine::ModelConfig& config,
                             const engine::ModelFootprint& footprint, const SpeedInputs& in);

}  // namespace atelier::agents
