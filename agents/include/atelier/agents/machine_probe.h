#pragma once
// What `model plan` and `bench` need to know about this machine beyond the model: its memory
// bandwidth and peak FMA rate (bench_measure's microbenchmarks) and the read bandwidth of the
// disk a model file lies on (a short probe of that file). The results are cached in the data
// folder (machine_probe.json; disks keyed by device id) so that later plans are instant.
// One thread at a time (the CLI's main thread, the window's planner thread); the probes
// start their own threads and join them.

#include <cstdint>
#include <filesystem>
#include <string>

#include "atelier/base/result.h"
#include "atelier/engine/weight_source.h"

namespace atelier::agents {

struct DiskProbe {
    double gbs = 0;              // 1e9 bytes per second
    std::uint64_t bytes = 0;     // read by the probe
    double seconds = 0;
    bool direct = false;         // O_DIRECT (else page cache dropped with posix_fadvise first)
    int inFlight = 0;            // reads at once
};

// Reads up to `maxBytes` of `file` in 4 MiB pieces spread over the whole file, `inFlight`
// reads at once (as the expert cache issues them), with O_DIRECT where the filesystem allows
// it, else after fdatasync + POSIX_FADV_DONTNEED so that the page cache does not answer.
Result<DiskProbe> probeDiskRead(const std::filesystem::path& file, std::uint64_t maxBytes, int inFlight);

// The largest file `weights` lives in: the one the disk probe reads.
std::filesystem::path largestWeightFile(const engine::WeightSource& weights);

struct DiskRate {
    DiskProbe disk;
    bool cached = false;
    std::string key;  // "major:minor" of the file's device
};

// The read rate of the disk `file` lies on: the cached probe of that device in `dataDir`
// (machine_probe.json) unless absent or `reprobe`; a fresh probe is written back. An empty
// `dataDir` probes without caching.
Result<DiskRate> diskReadRate(const std::filesystem::path& dataDir, const std::filesystem::path& file, bool reprobe);

struct MachineRates {
    double memoryGbs = 0;    // STREAM triad, all threads
    double peakGflops = 0;   // independent FMA chains, all threads
    DiskProbe disk;          // of the model's filesystem
    bool memoryCached = false, diskCached = false;
    std::string diskKey;     // "major:minor" of the file's device
};

// The rates for `threads` threads and the filesystem of `modelFile`, from the cache in
// `dataDir` unless absent or `reprobe`; fresh measurements are written back. An empty
// `dataDir` measures without caching.
Result<MachineRates> machineRates(const std::filesystem::path& dataDir, const std::filesystem::path& modelFile,
                                  int threads, bool reprobe);

// What the engine's kernels reach on this machine for a weight type, as `bench` measured it
// on a resident model: decode's bytes per second over STREAM's, prefill's FLOP/s over the
// FMA peak. Stored per thread count and per the type that holds most of a model's bytes.
struct KernelEfficiency {
    double decodeOfStream = 1;
    double prefillOfPeak = 1;
    bool measured = false;  // false: no bench has run such a model here (the bounds are used)
};
// Replaces the cached memory rates for `threads` (bench measures them in every run; a plan
// then predicts from the same numbers its efficiencies are relative to).
void recordMemoryRates(const std::filesystem::path& dataDir, int threads, double streamGbs, double peakGflops);

KernelEfficiency kernelEfficiency(const std::filesystem::path& dataDir, int threads, const std::string& dtype);
void recordKernelEfficiency(const std::filesystem::path& dataDir, int threads, const std::string& dtype,
                            const KernelEfficiency& e);

}  // namespace atelier::agents
