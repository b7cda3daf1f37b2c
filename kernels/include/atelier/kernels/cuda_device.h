#pragma once
// CUDA device discovery. Declared always; without the CUDA build the functions report no
// device. Thread-safe.

#include <cstddef>
#include <string>
#include <vector>

namespace atelier::kernels::cuda {

struct DeviceInfo {
    int index = 0;
    std::string name;
    int computeMajor = 0;
    int computeMinor = 0;
    std::size_t totalMemory = 0;
    std::size_t freeMemory = 0;
};

// Whether this binary was built with the CUDA backend.
bool compiledWithCuda();
// The CUDA devices present (empty when none, when the driver is missing, or without CUDA).
std::vector<DeviceInfo> devices();

}  // namespace atelier::kernels::cuda
