#pragma once
// What a model takes in memory, before it is loaded: its weights as stored (per ggml type, with
// bits per weight), or, when a folder holds only config.json, an estimate of the weights that
// are missing; plus the KV cache at a context length and the per-sequence state. The CLI's
// `model info` and the window's model dialog both read it, so they agree.
// Thread-safe: pure functions (availableMemoryBytes reads /proc).

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "atelier/engine/weight_source.h"

namespace atelier::engine {

struct TypeFootprint {
    std::int64_t tensors = 0;
    std::uint64_t bytes = 0;
    std::int64_t elements = 0;
};

struct ModelFootprint {
    std::map<std::string, TypeFootprint> types;  // by dtype name, e.g. "IQ2_XXS"
    std::uint64_t weightsBytes = 0;              // the tensors present, as stored
    std::int64_t weightsElements = 0;
    double bitsPerWeight = 0;                    // 8 * bytes / elements over the stored tensors
    bool weightsMissing = false;                 // a folder with config.json and no tensors
    std::uint64_t weightsBytesEstimated = 0;     // then: the release scheme's bytes (FP8 + FP4)
    double kvBytesPerToken = 0;
    std::int64_t stateBytesPerSequence = 0;
    int parts = 1;                               // files the weights are split over
    std::vector<std::string> skippedTensors;     // in the file, read by no part of the model
    // Expert streaming: the routed experts' bytes (all layers), one routed expert's bytes (its
    // three matrices and their scales, the largest layer's), and the routed experts per layer.
    std::uint64_t routedExpertBytes = 0;
    std::uint64_t expertBytes = 0;
    int routedExperts = 0;
    int activatedExperts = 0;
    int layers = 0;

    // The weights a load maps (the estimate when they are missing).
    std::uint64_t weightBytesForLoad() const { return weightsMissing ? weightsBytesEstimated : weightsBytes; }
    // Weights + KV cache for `contextTokens` tokens + one sequence's state.
    std::uint64_t neededBytes(std::int64_t contextTokens) const;
};

ModelFootprint modelFootprint(const WeightSource& source);

// The expert cache `--memory-budget auto` gives a model on a machine with `availableBytes` free:
// what is left after the resident weights (everything but routed experts), the KV cache for
// `contextTokens`, one sequence's state and a reserve for the OS (1 GiB or 10 %, the larger).
// 0 when every routed expert fits (no streaming needed); otherwise at least one layer's
// activated experts (the least that can run), even if that overcommits.
std::uint64_t autoExpertCacheBytes(const ModelFootprint& f, std::int64_t contextTokens,
                                   std::uint64_t availableBytes);

// MemAvailable from /proc/meminfo in bytes, or what the process's memory cgroup (v1 or v2)
// still allows when that is less (a container's limit); 0 when unknown.
std::uint64_t availableMemoryBytes();

// What the memory cgroup named in `procCgroup` (a /proc/<pid>/cgroup file) still allows under
// `cgroupRoot` (/sys/fs/cgroup; v1's controller folder is `memory/` below it): its limit minus
// its usage, counting the inactive file cache as free (the kernel reclaims it first). 0 when
// the group has no limit or cannot be read.
std::uint64_t cgroupAvailableBytes(const std::filesystem::path& procCgroup,
                                   const std::filesystem::path& cgroupRoot);

}  // namespace atelier::engine
