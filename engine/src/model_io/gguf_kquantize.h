#pragma once
// Quantizers for the GGUF block formats local users download: the K-quants Q4_K, Q5_K, Q6_K, Q2_K
// (super-blocks of 256, layouts in kernels/gemm_kquant.h). The other block formats' quantizers
// live beside their kernels (kernels/gemm_quant.h).
//
// The K-quant quantizers choose every scale so that the block's range is covered: the integer
// mins are rounded up, then the scales are rounded up to cover max + min, and the f16 super-
// scales are rounded up too. No code is then clamped, so each element is off by at most half of
// its sub-block's step d * sc (and a sub-block's step exceeds its ideal range / levels by at most
// one super-scale d). ggml's own quantizer searches for a lower mean error instead; files stay
// readable by llama.cpp either way. Thread-safe: pure functions.

#include <cstddef>
#include <cstdint>

namespace atelier::engine::gguf {

// One row of `n` values (a multiple of 256) into n/256 blocks of 144, 176, 210 or 84 bytes.
void quantizeRowQ4_K(const float* x, std::int64_t n, std::byte* out);
void quantizeRowQ5_K(const float* x, std::int64_t n, std::byte* out);
void quantizeRowQ6_K(const float* x, std::int64_t n, std::byte* out);
void quantizeRowQ2_K(const float* x, std::int64_t n, std::byte* out);

}  // namespace atelier::engine::gguf
