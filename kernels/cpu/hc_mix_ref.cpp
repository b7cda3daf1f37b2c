#include "atelier/kernels/stream_ops.h"

namespace atelier::kernels {

void hc_collapse_f32_ref(const float* X, std::int64_t n, const float w[4], float* y) {
    for (std::int64_t i = 0; i < n; ++i)
        y[i] = w[0] * X[i] + w[1] * X[n + i] + w[2] * X[2 * n + i] + w[3] * X[3 * n + i];
}

void hc_expand_f32_ref(const float post[4], const float comb[16], const float* F, float* X,
                       std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
        float old[4];
        for (int j = 0; j < 4; ++j) old[j] = X[j * n + i];
        for (int k = 0; k < 4; ++k) {
            float v = post[k] * F[i];
            for (int j = 0; j < 4; ++j) v += comb[4 * j + k] * old[j];
            X[k * n + i] = v;
        }
    }
}

}  // namespace atelier::kernels
