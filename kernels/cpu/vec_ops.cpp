#include "atelier/kernels/vec_ops.h"

#include "atelier/kernels/kernel_table.h"

namespace atelier::kernels {

float dot_f32(const float* a, const float* b, std::int64_t n) { return cpuKernels().dot(a, b, n); }

void axpy_f32(float alpha, const float* x, float* y, std::int64_t n) {
    cpuKernels().axpy(alpha, x, y, n);
}

void axpy_f32_ref(float alpha, const float* x, float* y, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

}  // namespace atelier::kernels
