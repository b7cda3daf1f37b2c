// Number-format simulations and small scalar helpers of the reference forward (spec §4.2, §5.1,
// §8.3). Everything is done in double; the only float steps are the dtype.h casts themselves.

#include <algorithm>
#include <cassert>
#include <cmath>

#include "atelier/engine/dtype.h"
#include "reference/reference_math.h"

namespace atelier::engine::reference {
namespace {

double blockAmax(std::span<const double> v) {
    double amax = 0.0;
    for (double x : v) amax = std::max(amax, std::abs(x));
    return amax;
}

// The UE8M0 scale of a block: the smallest power of two s with amax/s <= maxCode.
double powerOfTwoScale(double amax, double floor, double maxCode) {
    return std::exp2(std::ceil(std::log2(std::max(amax, floor) / maxCode)));
}

}  // namespace

double bf16Round(double v) { return double(bf16ToF32(f32ToBf16(float(v)))); }

void bf16Round(std::span<double> v) {
    for (double& x : v) x = bf16Round(x);
}

double quantizeFp8Block(std::span<const double> v, std::span<std::uint8_t> codes) {
    assert(codes.size() == v.size());
    const double s = powerOfTwoScale(blockAmax(v), 1e-4, 448.0);
    for (std::size_t i = 0; i < v.size(); ++i)
        codes[i] = f32ToE4m3(float(std::clamp(v[i] / s, -448.0, 448.0)));
    return s;
}

void fp8Simulate(std::span<double> v, std::size_t block) {
    std::vector<std::uint8_t> codes(block);
    for (std::size_t b = 0; b < v.size(); b += block) {
        const std::size_t n = std::min(block, v.size() - b);
        auto part = v.subspan(b, n);
        const double s = quantizeFp8Block(part, std::span(codes).first(n));
        for (std::size_t i = 0; i < n; ++i) part[i] = double(e4m3ToF32(codes[i])) * s;
    }
}

double quantizeFp4Block(std::span<const double> v, std::span<std::uint8_t> codes) {
    assert(codes.size() == v.size());
    const double s = powerOfTwoScale(blockAmax(v), 6.0 * std::exp2(-126.0), 6.0);
    for (std::size_t i = 0; i < v.size(); ++i)
        codes[i] = f32ToE2m1(float(std::clamp(v[i] / s, -6.0, 6.0)));
    return s;
}

void fp4Simulate(std::span<double> v, std::size_t block) {
    std::vector<std::uint8_t> codes(block);
    for (std::size_t b = 0; b < v.size(); b += block) {
        const std::size_t n = std::min(block, v.size() - b);
        auto part = v.subspan(b, n);
        const double s = quantizeFp4Block(part, std::span(codes).first(n));
        for (std::size_t i = 0; i < n; ++i) part[i] = double(e2m1ToF32(codes[i])) * s;
    }
}

void hadamard(std::span<double> v) {
    const std::size_t n = v.size();
    assert(n > 0 && (n & (n - 1)) == 0);
    // Butterflies in Sylvester order: H_2n = [[H_n, H_n], [H_n, -H_n]].
    for (std::size_t h = 1; h < n; h *= 2)
        for (std::size_t i = 0; i < n; i += 2 * h)
            for (std::size_t j = i; j < i + h; ++j) {
                const double a = v[j], b = v[j + h];
                v[j] = a + b;
                v[j + h] = a - b;
            }
    const double scale = 1.0 / std::sqrt(double(n));
    for (double& x : v) x *= scale;
}

Vec rmsNorm(std::span<const double> x, std::span<const double> weight, double eps) {
    double sumSq = 0.0;
    for (double v : x) sumSq += v * v;
    const double inv = 1.0 / std::sqrt(sumSq / double(x.size()) + eps);
    Vec y(x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        y[i] = x[i] * inv * (weight.empty() ? 1.0 : weight[i]);
    return y;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace atelier::engine::reference
