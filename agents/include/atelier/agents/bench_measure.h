#pragma once
// What `atelier-cli bench` measures besides the model: the machine's memory bandwidth (a
// STREAM-triad loop), its peak FMA throughput (kernels::fmaBurn on every thread), and the
// bytes and FLOPs a model's decode and prefill steps must move and compute (agents/ so that
// the CLI and the window's model dialog share them, model_plan.h). Any one thread at a time;
// the measurements start their own threads and join them.

#include <cstdint>

#include "atelier/engine/model_config.h"
#include "atelier/engine/weight_source.h"

namespace atelier::agents {

// GB/s (1e9 bytes) of a[i] = b[i] + s·c[i] over three buffers of `floats` floats each split
// across `threads` threads; counts 3 × 4 bytes per element (STREAM's convention); best of
// `reps` passes.
double streamTriadGbs(int threads, std::int64_t floats, int reps);

// GFLOP/s of independent FMA chains on `threads` threads at the active dispatch level.
double peakFmaGflops(int threads, double seconds);

// Per-token and per-step costs of a model, from its stored tensors (MTP excluded).
struct ModelCosts {
    double sharedWeightBytes = 0;   // read once per decode step, whatever the batch
    double expertBytes = 0;         // one routed expert of one layer (w1 + w2 + w3)
    double embedRowBytes = 0;       // one embedding row (per token)
    double activeMatmulParams = 0;  // weights a token multiplies in prefill (head excluded)
    int moeLayers = 0;
};
ModelCosts modelCosts(const engine::WeightSource& weights);

// Bytes one decode step reads from the weights for `batch` sequences: the shared weights once,
// the embedding row of every token, and per MoE layer the routed experts the batch is expected
// to touch (E · (1 − (1 − k/E)^batch) under uniform routing).
double decodeWeightBytes(const ModelCosts& costs, const engine::ModelConfig& config, int batch);

// Cache bytes one decode step of one sequence at context `context` must read (spec §10.2
// production format): the window ring of every layer, every indexer key and the top-k selected
// entries of the CSA layers, every compressed entry of the HCA layers.
double decodeCacheBytes(const engine::ModelConfig& config, std::int64_t context);

}  // namespace atelier::agents
