#include <cmath>

#include "atelier/kernels/stream_ops.h"

namespace atelier::kernels {

void compress_pool_tail_f32_ref(const float* K, const float* Z, int c, int kc, int rows,
                                bool overlap, int chBegin, float* E) {
    for (int ch = chBegin; ch < c; ++ch) {
        const auto col = [&](int row) { return row * kc + (overlap && row >= 4 ? c + ch : ch); };
        float m = -INFINITY;
        for (int row = 0; row < rows; ++row) m = std::fmax(m, Z[col(row)]);
        float sum = 0, acc = 0;
        for (int row = 0; row < rows; ++row) {
            const float z = Z[col(row)];
            if (z == -INFINITY) continue;  // an empty previous block (K = 0, Z = −∞)
            const float e = std::exp(z - m);
            sum += e;
            acc += e * K[col(row)];
        }
        E[ch] = acc / sum;
    }
}

void compress_pool_f32_ref(const float* K, const float* Z, int c, int kc, int rows, bool overlap,
                           float* E) {
    compress_pool_tail_f32_ref(K, Z, c, kc, rows, overlap, 0, E);
}

}  // namespace atelier::kernels
