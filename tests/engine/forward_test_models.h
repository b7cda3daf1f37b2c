#pragma once
// Test helper: the tiny preset's seeded random weights (F32, from randomWeights) re-stored in
// memory under another weight scheme: BF16, or the release's FP8 scheme (E4M3 with 128×128
// UE8M0 block scales for LinearFp8, I8-packed MXFP4 with 1×32 scales for ExpertFp4, BF16 for
// the rest, F32 islands kept). Header-only; used by the forward tests.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "atelier/engine/dtype.h"
#include "atelier/engine/model_config.h"
#include "atelier/engine/tensor_schema.h"
#include "atelier/engine/weight_source.h"

namespace forward_test {

using namespace atelier::engine;

inline ModelConfig tinyConfig() { return *presetConfig("tiny"); }

inline float pow2Ceil(float v) { return std::exp2(std::ceil(std::log2(v))); }

inline std::vector<std::byte> asBytes(const void* p, std::size_t n) {
    std::vector<std::byte> out(n);
    std::memcpy(out.data(), p, n);
    return out;
}

// FP8 E4M3 with [ceil(rows/128), ceil(cols/128)] UE8M0 scales.
inline void addFp8(OwnedWeights& out, const TensorSpec& s, const float* v) {
    const std::int64_t rows = s.shape[0], cols = s.shape[1];
    const std::int64_t sr = (rows + 127) / 128, sc = (cols + 127) / 128;
    std::vector<std::uint8_t> q(std::size_t(rows * cols)), scales(std::size_t(sr * sc));
    for (std::int64_t br = 0; br < sr; ++br)
        for (std::int64_t bc = 0; bc < sc; ++bc) {
            float amax = 0;
            for (std::int64_t r = br * 128; r < std::min(rows, br * 128 + 128); ++r)
                for (std::int64_t c = bc * 128; c < std::min(cols, bc * 128 + 128); ++c)
                    amax = std::max(amax, std::fabs(v[r * cols + c]));
            const float s8 = pow2Ceil(std::max(amax, 1e-30f) / 448.0f);
            scales[std::size_t(br * sc + bc)] = f32PowerOfTwoToE8m0(s8);
            for (std::int64_t r = br * 128; r < std::min(rows, br * 128 + 128); ++r)
                for (std::int64_t c = bc * 128; c < std::min(cols, bc * 128 + 128); ++c)
                    q[std::size_t(r * cols + c)] = f32ToE4m3(v[r * cols + c] / s8);
        }
    std::string scaleName = s.name.substr(0, s.name.size() - 7) + ".scale";
    out.add(s.name, DType::F8_E4M3, {rows, cols}, asBytes(q.data(), q.size()));
    out.add(scaleName, DType::F8_E8M0, {sr, sc}, asBytes(scales.data(), scales.size()));
}

// I8-packed FP4 E2M1 (element 2i low nibble) with [rows, cols/32] UE8M0 scales.
inline void addFp4(OwnedWeights& out, const TensorSpec& s, const float* v) {
    const std::int64_t rows = s.shape[0], cols = s.shape[1];
    std::vector<std::uint8_t> q(std::size_t(rows * cols / 2)), scales(std::size_t(rows * cols / 32));
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t b = 0; b < cols / 32; ++b) {
            const float* x = v + r * cols + b * 32;
            float amax = 0;
            for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
            const float s4 = pow2Ceil(std::max(amax, 1e-30f) / 6.0f);
            scales[std::size_t(r * (cols / 32) + b)] = f32PowerOfTwoToE8m0(s4);
            for (int i = 0; i < 32; i += 2)
                q[std::size_t((r * cols + b * 32 + i) / 2)] =
                    std::uint8_t(f32ToE2m1(x[i] / s4) | (f32ToE2m1(x[i + 1] / s4) << 4));
        }
    std::string scaleName = s.name.substr(0, s.name.size() - 7) + ".scale";
    out.add(s.name, DType::E2M1x2, {rows, cols / 2}, asBytes(q.data(), q.size()));
    out.add(scaleName, DType::F8_E8M0, {rows, cols / 32}, asBytes(scales.data(), scales.size()));
}

// Multiplies the F32 tensors whose name ends with `suffix` by `factor`.
inline void scaleTensors(OwnedWeights& w, const std::string& suffix, float factor) {
    for (const auto& name : w.names()) {
        if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        const TensorView* t = w.find(name);
        std::vector<float> v(std::size_t(t->elements()));
        std::memcpy(v.data(), t->data, v.size() * 4);
        for (float& x : v) x *= factor;
        w.add(name, DType::F32, t->shape, asBytes(v.data(), v.size() * 4));
    }
}

// The weights of `config` with `seed`, stored under `scheme`. With `decisive`, the router
// gates are scaled up so that expert selection has clear margins: random gates otherwise give
// near-equal scores, and float-vs-double differences then flip routing decisions.
inline std::unique_ptr<OwnedWeights> weightsIn(const ModelConfig& config, std::uint64_t seed,
                                               WeightScheme scheme, bool decisive = false) {
    auto f32 = randomWeights(config, seed);
    if (decisive) scaleTensors(*f32, "ffn.gate.weight", 16.0f);
    if (scheme == WeightScheme::F32) return f32;
    auto out = std::make_unique<OwnedWeights>(config);
    for (const TensorSpec& s : expectedTensors(config)) {
        const TensorView* t = f32->find(s.name);
        const DType want = storedDType(s.role, scheme);
        const auto* v = reinterpret_cast<const float*>(t->data);
        if (t->dtype != DType::F32 || want == DType::F32) {
            out->add(s.name, t->dtype, t->shape, asBytes(t->data, t->nbytes));
        } else if (want == DType::BF16) {
            std::vector<std::uint16_t> h(std::size_t(t->elements()));
            for (std::size_t i = 0; i < h.size(); ++i) h[i] = f32ToBf16(v[i]);
            out->add(s.name, DType::BF16, t->shape, asBytes(h.data(), h.size() * 2));
        } else if (want == DType::F8_E4M3) {
            addFp8(*out, s, v);
        } else {
            addFp4(*out, s, v);
        }
    }
    return out;
}

// Deterministic token ids in [2, vocab).
inline std::vector<std::int32_t> tokens(std::size_t n, std::uint32_t seed, std::int64_t vocab = 1024) {
    std::vector<std::int32_t> out(n);
    std::uint32_t x = seed * 2654435761u + 12345u;
    for (auto& t : out) {
        x = x * 1664525u + 1013904223u;
        t = std::int32_t(2 + (x >> 8) % std::uint32_t(vocab - 2));
    }
    return out;
}

inline float maxAbsDiff(const float* a, const float* b, std::size_t n) {
    float m = 0;
    for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(a[i] - b[i]));
    return m;
}

}  // namespace forward_test
