#pragma once
// The tensors a DeepSeek V4 checkpoint holds (model spec §9), by their Hugging Face names,
// with row-major shapes ([out, in] for matrices) and the role that decides their stored
// dtype under each weight scheme. Loaders validate against this list; writers emit it.
// Thread-safe: pure functions.

#include <cstdint>
#include <string>
#include <vector>

#include "atelier/engine/dtype.h"
#include "atelier/engine/model_config.h"

namespace atelier::engine {

// How a file stores the weights. Persisted in checkpoint fingerprints: never reuse a value.
enum class WeightScheme : std::uint8_t {
    F32 = 0,   // everything F32 (tid2eid I64): the plain comparison scheme
    BF16 = 1,  // the release's BF16 tensors and the FP8 ones widened to BF16; F32 islands kept
    FP8 = 2,   // the release scheme: FP8 E4M3 128x128 UE8M0 blocks, MXFP4 routed experts
};

enum class TensorRole {
    Embedding,    // embed.weight [V, d]
    Head,         // head.weight [V, d]
    Norm,         // RMSNorm weights (1-D)
    HcFn,         // hc_*_fn [24 or 4, 4d] F32 always
    HcBase,       // F32 always
    HcScale,      // F32 always
    Sink,         // attn_sink [H] F32 always
    Ape,          // compressor ape [ratio, κc] F32 always
    GateBias,     // ffn.gate.bias [E] F32 always
    Tid2Eid,      // ffn.gate.tid2eid [V, k] I64 always
    LinearFp8,    // FP8 block-scaled in the release (has a `.scale` sibling there)
    LinearBf16,   // BF16 in the release: compressors, indexer weights_proj, router
    ExpertFp4,    // routed expert w1/w2/w3: MXFP4 in the release (I8-packed + `.scale`)
};

struct TensorSpec {
    std::string name;                  // HF name, e.g. "layers.3.attn.wq_a.weight"
    std::vector<std::int64_t> shape;   // row-major
    TensorRole role;
    int layer = -1;                    // block index (MTP blocks: nLayers + i), -1 for globals
    bool mtp = false;
    int expert = -1;                   // routed expert index, else -1
};

// Every tensor of the model in a stable order (globals, then layers, then MTP), without the
// `.scale` companions of the FP8 scheme.
std::vector<TensorSpec> expectedTensors(const ModelConfig& config);

// The dtype `role` is stored in under `scheme` (for ExpertFp4 under FP8: I8 packed pairs).
DType storedDType(TensorRole role, WeightScheme scheme);
// True when the role carries a `.scale` companion under `scheme`.
bool hasScaleCompanion(TensorRole role, WeightScheme scheme);
// Shape of the `.scale` companion: [ceil(out/128), ceil(in/128)] for LinearFp8,
// [out, in/32] for ExpertFp4.
std::vector<std::int64_t> scaleShape(const TensorSpec& spec);
// Stored shape of the weight itself (ExpertFp4 under FP8 packs two values per byte: [out, in/2]).
std::vector<std::int64_t> storedShape(const TensorSpec& spec, WeightScheme scheme);

std::int64_t elementCount(const std::vector<std::int64_t>& shape);

}  // namespace atelier::engine
