// AVX2 RMSNorm: the sum of squares in four 8-lane float accumulators, then the same scaling
// as the reference (w ⊙ (x · ρ)).

#if defined(__x86_64__)
#include <immintrin.h>

#include <cmath>

#include "atelier/kernels/stream_ops.h"

namespace atelier::kernels {

void rmsnorm_f32_avx2(const float* x, const float* w, std::int64_t n, float eps, float* y) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    std::int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
        const __m256 c = _mm256_loadu_ps(x + i + 16), d = _mm256_loadu_ps(x + i + 24);
        s0 = _mm256_fmadd_ps(a, a, s0);
        s1 = _mm256_fmadd_ps(b, b, s1);
        s2 = _mm256_fmadd_ps(c, c, s2);
        s3 = _mm256_fmadd_ps(d, d, s3);
    }
    for (; i + 8 <= n; i += 8) {
        const __m256 a = _mm256_loadu_ps(x + i);
        s0 = _mm256_fmadd_ps(a, a, s0);
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    double ss = 0;
    for (float v : lanes) ss += double(v);
    for (; i < n; ++i) ss += double(x[i]) * double(x[i]);
    const float rho = float(1.0 / std::sqrt(ss / double(n) + double(eps)));
    const __m256 r = _mm256_set1_ps(rho);
    std::int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + j), r);
        _mm256_storeu_ps(y + j, w ? _mm256_mul_ps(_mm256_loadu_ps(w + j), v) : v);
    }
    for (; j < n; ++j) y[j] = (w ? w[j] : 1.0f) * (x[j] * rho);
}

}  // namespace atelier::kernels
#endif
