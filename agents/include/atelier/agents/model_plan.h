#pragma once
// The plan of a model on this machine, as `atelier-cli model plan` prints it (docs/cli.md) and
// the window's model dialog shows it: the memory it needs resident, the expert cache a memory
// budget gives it, and the prefill and decode speed to expect from its bytes and FLOPs per
// token and the machine's measured rates (machine_probe, cached in the data folder). One
// implementation for both. Any thread, but not the GUI thread: a rate missing from
// machine_probe.json is measured (a few seconds of memory and disk probes).

#include <cstdint>
#include <filesystem>
#include <string>

#include "atelier/base/result.h"
#include "atelier/engine/model_footprint.h"
#include "atelier/engine/weight_source.h"

namespace atelier::agents {

struct PlanRequest {
    std::int64_t context = 32768;  // tokens the KV cache and decode assume
    int threads = 0;               // 0: every hardware thread
    bool budgetAuto = true;        // `--memory-budget auto`; otherwise budgetBytes
    std::uint64_t budgetBytes = 0;
    std::filesystem::path dataDir;  // machine_probe.json's folder; empty: measure, cache nothing
    bool reprobe = false;           // measure again even when cached
};

struct ModelPlan {
    std::string path;  // the model's origin
    std::int64_t context = 0;
    int threads = 0;
    std::uint64_t memoryTotalBytes = 0;
    std::uint64_t memoryAvailableBytes = 0;
    std::uint64_t weightsBytes = 0;
    std::uint64_t routedExpertBytes = 0;
    std::uint64_t residentBytes = 0;  // every weight but the routed experts
    std::uint64_t expertBytes = 0;    // one routed expert
    std::uint64_t kvBytes = 0;        // KV cache at the context + one sequence's state
    std::string budget;               // "auto" or the bytes asked for
    std::uint64_t expertCacheBytes = 0;  // 0: no streaming
    bool streaming = false;
    bool paging = false;  // mapped weights larger than the memory free: decode pages at every step
    std::uint64_t memoryNeededBytes = 0;
    double cachedFraction = 1;
    double hitRate = 1;
    double memoryGbs = 0;
    double peakFmaGflops = 0;
    bool memoryCached = false;
    double diskReadGbs = 0;
    std::uint64_t diskProbeBytes = 0;
    bool diskDirect = false;
    bool diskCached = false;
    std::string diskDevice;
    std::string weightType;  // the stored type holding most bytes
    bool efficiencyMeasured = false;
    double decodeOfStream = 1;
    double prefillOfPeak = 1;
    double residentBytesPerToken = 0;
    double expertBytesPerToken = 0;
    double missBytesPerToken = 0;
    double decodeTokS = 0;
    double prefillTokS = 0;
};

// The expert cache a budget gives a model of footprint `f` at `contextTokens`: `automatic`
// asks engine::autoExpertCacheBytes with the memory available now, else `bytes`; 0 when every
// routed expert fits in it (no streaming).
std::uint64_t expertCacheBytes(bool automatic, std::uint64_t bytes, const engine::ModelFootprint& f,
                               std::int64_t contextTokens);

// Physical memory in bytes (0 when unknown).
std::uint64_t totalMemoryBytes();

// The plan of `source` for `request`. A bad-input error when its weights are missing (a plan
// needs the files it would read); an I/O error when the disk probe cannot read them.
Result<ModelPlan> planModel(const engine::WeightSource& source, const PlanRequest& request);

}  // namespace atelier::agents
