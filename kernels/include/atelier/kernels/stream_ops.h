#pragma once
// The per-token vector ops of a DeepSeek V4 block: RMSNorm, rotary embedding, the
// hyper-connection mixes and the compressor's softmax pooling. Each op has a `_ref` scalar body
// (the spec written out; `<op>_ref.cpp`), an AVX2 body (`<op>_avx2.cpp`, which the AVX-512
// table holds too: these ops are a few thousand floats per token) and an entry point at
// activeIsaLevel() that calls the slot of cpuKernels() (kernel_table.h). The scalar level is the `_ref` body exactly; AVX2
// fuses multiply-adds, sums in another order and uses a polynomial exp: it agrees to rounding.
// Thread-safe: pure functions.

#include <cstdint>

namespace atelier::kernels {

// y = w ⊙ x / sqrt(mean(x²) + eps); w may be null. x, y [n] f32 (may alias).
// (rmsnorm_f32_ref is in rmsnorm_ref.h.)
void rmsnorm_f32(const float* x, const float* w, std::int64_t n, float eps, float* y);
void rmsnorm_f32_avx2(const float* x, const float* w, std::int64_t n, float eps, float* y);

// Interleaved (GPT-J) rotary embedding of x [rope] in place with the angles' cos/sin
// [rope/2]; `inverse` rotates by −angle (the output de-rotation of spec §4.4).
void rope_f32(float* x, const float* cos, const float* sin, int rope, bool inverse);
void rope_f32_ref(float* x, const float* cos, const float* sin, int rope, bool inverse);
void rope_f32_avx2(float* x, const float* cos, const float* sin, int rope, bool inverse);

// Hyper-connections (spec §3), over 4 residual streams X [4, n] f32:
// collapse: y[i] = Σ_j w[j] · X[j, i] (the pre mix and the head's);
void hc_collapse_f32(const float* X, std::int64_t n, const float w[4], float* y);
void hc_collapse_f32_ref(const float* X, std::int64_t n, const float w[4], float* y);
void hc_collapse_f32_avx2(const float* X, std::int64_t n, const float w[4], float* y);
// expand: X[k, i] ← post[k] · F[i] + Σ_j comb[4j + k] · X[j, i] (the post mix, in place).
void hc_expand_f32(const float post[4], const float comb[16], const float* F, float* X,
                   std::int64_t n);
void hc_expand_f32_ref(const float post[4], const float comb[16], const float* F, float* X,
                       std::int64_t n);
void hc_expand_f32_avx2(const float post[4], const float comb[16], const float* F, float* X,
                        std::int64_t n);

// The compressor's pooling (spec §5.1): per channel ch of c, E[ch] = Σ_r softmax_r(Z) · K over
// `rows` state rows of stride kc (f32). With `overlap` (CSA: 8 rows of 2c) rows 0–3 read
// channel ch and rows 4–7 channel c + ch; otherwise row r reads channel ch. Rows whose Z is −∞
// (an empty previous block) take no part.
void compress_pool_f32(const float* K, const float* Z, int c, int kc, int rows, bool overlap,
                       float* E);
void compress_pool_f32_ref(const float* K, const float* Z, int c, int kc, int rows, bool overlap,
                           float* E);
// Channels [chBegin, c) only (the SIMD bodies' tail).
void compress_pool_tail_f32_ref(const float* K, const float* Z, int c, int kc, int rows,
                                bool overlap, int chBegin, float* E);
void compress_pool_f32_avx2(const float* K, const float* Z, int c, int kc, int rows,
                            bool overlap, float* E);

}  // namespace atelier::kernels
