// Manifold-constrained hyper-connections (spec §3) and the HC head (spec §2 step 4).
// X is [4, D] f32, stream-major.

#include <cmath>

#include "atelier/engine/kv_entry.h"
#include "forward/forward_internal.h"

namespace atelier::engine::fwd {
namespace {

float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

// μ = (fn · x̂) · ρ with ρ = 1/sqrt(mean(x̂²) + eps); x̂ = vec(X) [4D].
void mixes(const kernels::KernelTable& k, const HcParams& p, const float* X, std::int64_t n,
           int count, float eps, float* mu) {
    double ss = 0;
    for (std::int64_t i = 0; i < n; ++i) ss += double(X[i]) * double(X[i]);
    const float rho = float(1.0 / std::sqrt(ss / double(n) + double(eps)));
    for (int j = 0; j < count; ++j)
        mu[j] = k.dot(p.fn.data() + std::int64_t(j) * n, X, n) * rho;
}

}  // namespace

void sinkhorn(const float* b, int iters, float eps, float* M) {
    for (int j = 0; j < 4; ++j) {  // row softmax, then + eps
        float m = b[4 * j];
        for (int k = 1; k < 4; ++k) m = std::fmax(m, b[4 * j + k]);
        float sum = 0;
        for (int k = 0; k < 4; ++k) sum += (M[4 * j + k] = std::exp(b[4 * j + k] - m));
        for (int k = 0; k < 4; ++k) M[4 * j + k] = M[4 * j + k] / sum + eps;
    }
    const auto colNormalize = [&] {
        for (int k = 0; k < 4; ++k) {
            const float s = M[k] + M[4 + k] + M[8 + k] + M[12 + k] + eps;
            for (int j = 0; j < 4; ++j) M[4 * j + k] /= s;
        }
    };
    colNormalize();
    for (int it = 1; it < iters; ++it) {
        for (int j = 0; j < 4; ++j) {
            const float s = M[4 * j] + M[4 * j + 1] + M[4 * j + 2] + M[4 * j + 3] + eps;
            for (int k = 0; k < 4; ++k) M[4 * j + k] /= s;
        }
        colNormalize();
    }
}

void hcPre(const kernels::KernelTable& k, const HcParams& p, const ModelConfig& cfg,
           const float* X, HcMix& mix, float* y, Numerics numerics) {
    const std::int64_t d = cfg.dim;
    float mu[24];
    mixes(k, p, X, 4 * d, 24, cfg.normEps, mu);
    const float* s = p.scale.data();
    const float* base = p.base.data();
    float b[16];
    for (int j = 0; j < 4; ++j) {
        mix.pre[j] = sigmoid(mu[j] * s[0] + base[j]) + cfg.hcEps;
        mix.post[j] = 2.0f * sigmoid(mu[4 + j] * s[1] + base[4 + j]);
    }
    for (int i = 0; i < 16; ++i) b[i] = mu[8 + i] * s[2] + base[8 + i];
    sinkhorn(b, cfg.hcSinkhornIters, cfg.hcEps, mix.comb);
    k.hcCollapse(X, d, mix.pre, y);
    if (numerics == Numerics::Release) roundToBf16(k, y, d);
}

void hcPost(const kernels::KernelTable& k, const HcMix& mix, const float* F, float* X,
            std::int64_t d) {
    k.hcExpand(mix.post, mix.comb, F, X, d);
}

void hcHead(const kernels::KernelTable& k, const HcParams& p, const ModelConfig& cfg,
            const float* X, float* h, Numerics numerics) {
    const std::int64_t d = cfg.dim;
    float a[4], w[4];
    mixes(k, p, X, 4 * d, 4, cfg.normEps, a);
    for (int j = 0; j < 4; ++j) w[j] = sigmoid(a[j] * p.scale[0] + p.base[j]) + cfg.hcEps;
    k.hcCollapse(X, d, w, h);
    if (numerics == Numerics::Release) roundToBf16(k, h, d);
}

}  // namespace atelier::engine::fwd
