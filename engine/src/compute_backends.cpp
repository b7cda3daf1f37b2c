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

}  // namespace atelier::engine
