// Without the CUDA build, device discovery reports none.
#ifndef ATELIER_HAVE_CUDA
#include "atelier/kernels/cuda_device.h"

namespace atelier::kernels::cuda {
bool compiledWithCuda() { return false; }
std::vector<DeviceInfo> devices() { return {}; }
}  // namespace atelier::kernels::cuda
#endif
