// RoPE tables per layer kind (spec §4.4): θ = 10000 plain on sliding-window layers; θ = 160000
// with DeepSeek's YaRN ramp on CSA/HCA layers. Interleaved (GPT-J) pairs (2i, 2i+1).

#include <algorithm>
#include <cmath>
#include <numbers>

#include "forward/forward_internal.h"

namespace atelier::engine::fwd {

RopeTable makeRopeTable(const ModelConfig& c, bool yarn) {
    const int r = c.ropeHeadDim;
    const double theta = yarn ? c.compressRopeTheta : c.ropeTheta;
    RopeTable t;
    t.freq.resize(std::size_t(r / 2));
    for (int i = 0; i < r / 2; ++i) t.freq[std::size_t(i)] = std::pow(theta, -2.0 * i / r);
    if (!yarn) return t;
    // D(n): the pair index whose wavelength fits n times into the original context.
    const auto corr = [&](double n) {
        return r * std::log(double(c.yarnOriginalSeqLen) / (2 * std::numbers::pi * n)) /
               (2 * std::log(theta));
    };
    const double low = std::max(std::floor(corr(c.yarnBetaFast)), 0.0);
    double high = std::min(std::ceil(corr(c.yarnBetaSlow)), double(r - 1));
    if (high == low) high += 0.001;
    for (int i = 0; i < r / 2; ++i) {
        const double ramp = std::clamp((i - low) / (high - low), 0.0, 1.0);
        double& f = t.freq[std::size_t(i)];
        f = f * (1 - ramp) + f / c.yarnFactor * ramp;
    }
    return t;
}

void ropeAngles(const RopeTable& t, std::int64_t pos, float* cos, float* sin) {
    for (std::size_t i = 0; i < t.freq.size(); ++i) {
        const double a = double(pos) * t.freq[i];  // double: positions reach 2^20
        cos[i] = float(std::cos(a));
        sin[i] = float(std::sin(a));
    }
}

}  // namespace atelier::engine::fwd
