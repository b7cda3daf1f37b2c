// Interleaved (GPT-J) RoPE with the per-layer frequency table and DeepSeek's YaRN ramp
// (spec §4.4).

#include <algorithm>
#include <cmath>
#include <numbers>

#include "reference/reference_math.h"

namespace atelier::engine::reference {
namespace {

// D(n) = r·ln(L_orig/(2π·n)) / (2·ln θ): the pair index whose wavelength fits n rotations
// into the original context.
double correctionDim(double rotations, int ropeDim, double theta, double originalSeqLen) {
    return double(ropeDim) * std::log(originalSeqLen / (2.0 * std::numbers::pi * rotations)) /
           (2.0 * std::log(theta));
}

}  // namespace

Vec ropeFrequencies(int ropeDim, double theta, const YarnParams* yarn) {
    const int pairs = ropeDim / 2;
    Vec f(static_cast<std::size_t>(pairs));
    for (int i = 0; i < pairs; ++i) f[std::size_t(i)] = std::pow(theta, -2.0 * i / ropeDim);
    if (!yarn) return f;

    const double low = std::max(
        std::floor(correctionDim(yarn->betaFast, ropeDim, theta, yarn->originalSeqLen)), 0.0);
    double high = std::min(
        std::ceil(correctionDim(yarn->betaSlow, ropeDim, theta, yarn->originalSeqLen)),
        double(ropeDim - 1));
    if (high == low) high += 0.001;  // the reference's guard against a zero-width ramp
    for (int i = 0; i < pairs; ++i) {
        const double ramp = std::clamp((i - low) / (high - low), 0.0, 1.0);
        double& fi = f[std::size_t(i)];
        fi = fi * (1.0 - ramp) + (fi / yarn->factor) * ramp;
    }
    return f;
}

Vec layerRopeFrequencies(const ModelConfig& c, int layer) {
    if (c.compressRatio(layer) == 0) return ropeFrequencies(c.ropeHeadDim, c.ropeTheta, nullptr);
    const YarnParams yarn{c.yarnFactor, double(c.yarnOriginalSeqLen), c.yarnBetaFast,
                          c.yarnBetaSlow};
    return ropeFrequencies(c.ropeHeadDim, c.compressRopeTheta, &yarn);
}

void applyRope(std::span<double> x, std::span<const double> freqs, double pos, bool inverse) {
    for (std::size_t i = 0; i < freqs.size(); ++i) {
        const double angle = (inverse ? -pos : pos) * freqs[i];
        const double c = std::cos(angle), s = std::sin(angle);
        const double a = x[2 * i], b = x[2 * i + 1];
        x[2 * i] = a * c - b * s;
        x[2 * i + 1] = a * s + b * c;
    }
}

}  // namespace atelier::engine::reference
