#pragma once
// The compute backends the engine offers ("cpu", "cuda", the names of --backend and of the
// Settings) and, for each, whether this binary has it, the devices found and whether the engine
// can run a whole model on it, with the reason when it cannot. The engine owns this choice:
// front ends ask here, never kernels/ directly. Thread-safe (device discovery is); discovery may
// start the GPU driver, so computeBackends() can take a moment: backendCompiledIn() does not.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/base/result.h"

namespace atelier::engine {

enum class ComputeBackendKind { Cpu, Cuda };

struct ComputeDevice {
    int index = 0;
    std::string name;
    int computeMajor = 0;  // CUDA compute capability
    int computeMinor = 0;
    std::size_t totalMemory = 0;  // bytes
    std::size_t freeMemory = 0;   // bytes, when asked
};

struct ComputeBackend {
    ComputeBackendKind kind = ComputeBackendKind::Cpu;
    std::string name;                    // "cpu", "cuda"
    bool compiledIn = false;             // this binary was built with it
    std::vector<ComputeDevice> devices;  // the GPUs found (empty for the CPU)
    bool runsModels = false;             // Model::load can run a whole model on it
    std::string unavailableReason;       // why a model cannot run on it; "" when runsModels
};

// Every backend the engine knows, the CPU first, as found on this machine now.
std::vector<ComputeBackend> computeBackends();

// The entry of computeBackends() for `kind`.
ComputeBackend computeBackend(ComputeBackendKind kind);

// Whether this binary was built with `kind`, without looking for devices.
bool backendCompiledIn(ComputeBackendKind kind);

// The backend a model load runs on for a front end's choice: `name` is "cpu", "cuda" or
// "auto" (the first backend, in computeBackends() order, that runsModels; "" counts as "auto").
// A named backend that cannot run a model here is refused with its unavailableReason, never
// replaced by another; only "auto" chooses. Every door that loads a model (atelier-cli's
// --backend, the window's Settings) asks here before reading any file. Errors: Usage for an
// unknown name or a backend that cannot run models on this machine.
Result<ComputeBackend> chooseComputeBackend(std::string_view name);

}  // namespace atelier::engine
