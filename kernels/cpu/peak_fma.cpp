#include "atelier/kernels/peak_fma.h"


namespace atelier::kernels {

std::int64_t fmaBurn_scalar(std::int64_t iterations) {
    float a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    volatile float m = 0.999999f, c = 1e-7f;  // volatile: not folded at compile time
    const float mul = m, add = c;
    for (std::int64_t i = 0; i < iterations; ++i)
        for (float& v : a) v = v * mul + add;  // no std::fma: a library call without -mfma
    volatile float sink = a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
    (void)sink;
    return iterations * 8 * 2;
}

std::int64_t fmaBurn(IsaLevel level, std::int64_t iterations) {
#if defined(__x86_64__)
    if (level == IsaLevel::Avx512) return fmaBurn_avx512(iterations);
    if (level == IsaLevel::Avx2) return fmaBurn_avx2(iterations);
#else
    (void)level;
#endif
    return fmaBurn_scalar(iterations);
}

}  // namespace atelier::kernels
