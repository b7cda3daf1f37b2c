// computeBackends (compute_backends.h): the CPU always; CUDA as kernels/ discovers it.

#include "atelier/engine/compute_backends.h"

#include "atelier/kernels/cuda_device.h"

namespace atelier::engine {
namespace {

ComputeBackend cpuBackend() {
    ComputeBackend b;
    b.kind = ComputeBackendKind::Cpu;
    b.name = "cpu";
    b.compiledIn = true;
    b.runsModels = true;
    return b;
}

ComputeBackend cudaBackend() {
    ComputeBackend b;
    b.kind = ComputeBackendKind::Cuda;
    b.name = "cuda";
    b.compiledIn = backendCompiledIn(ComputeBackendKind::Cuda);
    for (const kernels::cuda::DeviceInfo& d : kernels::cuda::devices())
        b.devices.push_back({d.index, d.name, d.computeMajor, d.computeMinor, d.totalMemory, d.freeMemory});
    // Model::load has no device placement yet: CUDA serves the kernels and their benchmarks only.
    b.runsModels = false;
    if (!b.compiledIn)
        b.unavailableReason = "the CUDA backend is not available in this build (it was built without CUDA).";
    else if (b.devices.empty())
        b.unavailableReason = "no CUDA device was found on this machine.";
    else
        b.unavailableReason = "the engine cannot run a whole model on CUDA yet (only its kernels are built).";
    return b;
}

}  // namespace

std::vector<ComputeBackend> computeBackends() { return {cpuBackend(), cudaBackend()}; }

bool backendCompiledIn(ComputeBackendKind kind) {
    return kind == ComputeBackendKind::Cpu || kernels::cuda::compiledWithCuda();
}

ComputeBackend computeBackend(ComputeBackendKind kind) {
    return kind == ComputeBackendKind::Cuda ? cudaBackend() : cpuBackend();
}

Result<ComputeBackend> chooseComputeBackend(std::string_view name) {
    // In computeBackends() order, looked at one by one: "auto" settles on the CPU without
    // starting a GPU driver.
    constexpr ComputeBackendKind kOrder[] = {ComputeBackendKind::Cpu, ComputeBackendKind::Cuda};
    const bool automatic = name.empty() || name == "auto";
    if (!automatic && name != "cpu" && name != "cuda")
        return unexpected(Error::usage("unknown backend '" + std::string(name) +
                                       "' (expected auto, cpu or cuda)"));
    for (ComputeBackendKind kind : kOrder) {
        if (!automatic && name != (kind == ComputeBackendKind::Cuda ? "cuda" : "cpu")) continue;
        ComputeBackend b = computeBackend(kind);
        if (b.runsModels) return b;
        if (!automatic)
            return unexpected(Error::usage("backend '" + b.name + "' cannot run a model here: " +
                                           b.unavailableReason));
    }
    return unexpected(Error::internal("no compute backend can run a model on this machine"));
}

}  // namespace atelier::engine
