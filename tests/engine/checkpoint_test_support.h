#pragma once
// Test helper for the checkpoint tests: the tiny model (release scheme and numerics), its
// fingerprint, seeded token lists and a logit comparison with the forward tests' tolerance.

#include <algorithm>
#include <cmath>
#include <random>
#include <span>
#include <vector>

#include "atelier/engine/checkpoint_store.h"
#include "atelier/engine/model.h"
#include "forward_test_models.h"

namespace checkpoint_test {

using namespace atelier::engine;

inline std::unique_ptr<Model> tinyModel(std::uint64_t seed = 5) {
    auto m = Model::load(forward_test::weightsIn(forward_test::tinyConfig(), seed, WeightScheme::FP8),
                         ModelOptions{Numerics::Release, 1});
    if (!m) qFatal("%s", m.error().message.c_str());
    return std::move(*m);
}

inline ModelFingerprint fingerprintOf(const Model& m, std::uint64_t seed = 5) {
    return modelFingerprint(m.config(), m.numerics(), seed, fnv1a64("builtin"));
}

inline std::vector<std::int32_t> tokens(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::int32_t> out(n);
    for (auto& t : out) t = std::int32_t(rng() % 1000) + 3;
    return out;
}

inline std::vector<std::int32_t> concat(std::span<const std::int32_t> a, std::span<const std::int32_t> b) {
    std::vector<std::int32_t> out(a.begin(), a.end());
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

// Largest |a − b| relative to the largest |b|: the forward tests' measure (1e-5 = equal).
inline float relativeDiff(std::span<const float> a, std::span<const float> b) {
    float diff = 0, scale = 1e-30f;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, std::fabs(a[i] - b[i]));
        scale = std::max(scale, std::fabs(b[i]));
    }
    return diff / scale;
}

}  // namespace checkpoint_test
