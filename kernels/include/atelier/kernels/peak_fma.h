#pragma once
// Peak floating-point throughput microbenchmark: independent chains of f32 FMAs at a dispatch
// level, long enough to hide the FMA latency, touching no memory. `atelier-cli bench` times it
// on every thread to get the machine's peak GFLOP/s for the kernels' arithmetic.
// Thread-safe: pure functions.

#include <cstdint>

#include "atelier/kernels/cpu_features.h"

namespace atelier::kernels {

// Runs `iterations` rounds of FMAs at `level` (must be supported) and returns the number of
// floating-point operations done (an FMA counts 2).
std::int64_t fmaBurn(IsaLevel level, std::int64_t iterations);

// Per-level bodies (one file each); callers use fmaBurn().
std::int64_t fmaBurn_scalar(std::int64_t iterations);
std::int64_t fmaBurn_avx2(std::int64_t iterations);
std::int64_t fmaBurn_avx512(std::int64_t iterations);

}  // namespace atelier::kernels
