#include "atelier/kernels/vec_ops.h"

#include "atelier/kernels/cpu_features.h"
#include "atelier/kernels/gemv_ref.h"

namespace atelier::kernels {

float dot_f32(const float* a, const float* b, std::int64_t n) {
#if defined(__x86_64__)
    const IsaLevel level = activeIsaLevel();
    if (level == IsaLevel::Avx512) return dot_f32_avx512(a, b, n);
    if (level == IsaLevel::Avx2) return dot_f32_avx2(a, b, n);
#endif
    return dot_f32_ref(a, b, n);
}

void axpy_f32(float alpha, const float* x, float* y, std::int64_t n) {
#if defined(__x86_64__)
    const IsaLevel level = activeIsaLevel();
    if (level == IsaLevel::Avx512) return axpy_f32_avx512(alpha, x, y, n);
    if (level == IsaLevel::Avx2) return axpy_f32_avx2(alpha, x, y, n);
#endif
    for (std::int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

}  // namespace atelier::kernels
