#include "atelier/kernels/rmsnorm_ref.h"

#include <cmath>

namespace atelier::kernels {

void rmsnorm_f32_ref(const float* x, const float* w, std::int64_t n, float eps, float* y) {
    double ss = 0;  // double: the sum of squares over thousands of dims
    for (std::int64_t i = 0; i < n; ++i) ss += double(x[i]) * double(x[i]);
    const float rho = float(1.0 / std::sqrt(ss / double(n) + double(eps)));
    for (std::int64_t i = 0; i < n; ++i) y[i] = (w ? w[i] : 1.0f) * (x[i] * rho);
}

void softmax_f32_ref(float* x, std::int64_t n) {
    float m = -INFINITY;
    for (std::int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
    float sum = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - m);
        sum += x[i];
    }
    for (std::int64_t i = 0; i < n; ++i) x[i] /= sum;
}

}  // namespace atelier::kernels
