#pragma once
// RMSNorm and softmax, scalar reference versions. Thread-safe: pure functions.

#include <cstdint>

namespace atelier::kernels {

// y = w ⊙ x / sqrt(mean(x²) + eps); w may be null (weightless norm). x, y [n] f32 (may alias).
void rmsnorm_f32_ref(const float* x, const float* w, std::int64_t n, float eps, float* y);

// In-place softmax over x [n] f32.
void softmax_f32_ref(float* x, std::int64_t n);

}  // namespace atelier::kernels
