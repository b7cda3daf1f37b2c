#pragma once
// Spec-level primitives of the reference forward (model spec §3–§8), in double precision.
// Internal to the engine; the unit tests include it by path. Each function is the formula of
// the spec section named beside it, with no cleverness.
// Thread-safe: pure functions.
//
// Release numerics (ReferenceOptions::numerics == Release) simulates exactly these casts of the
// official bf16 reference (spec [REF]); Plain simulates none of them:
//   * BF16 rounding of every tensor the reference holds in BF16: the embedding row and the
//     residual streams after each HC_post (X is a bf16 tensor there), the sub-layer input y of
//     HC_pre, every RMSNorm output (attn/ffn/q/kv/compressor/final norms; the compressor norm
//     also reads its pooled entry cast to BF16, §5.1), the outputs of the FP8/FP4 matrix products
//     (they produce bf16), the query heads after RoPE and the attention output o before and
//     after the inverse RoPE (the sparse-attention kernel reads and writes bf16), the BF16 wo_a
//     einsum's output, the SwiGLU product before W2, the MoE output and the HC head's output.
//   * FP8 activation quantization (1x128 blocks, UE8M0 scale, e4m3 RNE; §8.3) of the input of
//     every FP8/FP4 weight product: wq_a, wq_b, wkv, wo_b, indexer wq_b, shared and routed expert
//     w1/w3/w2. Not wo_a: the reference converter dequantizes wo_a to BF16 and runs a BF16 einsum
//     (§4.5), so its input is only BF16-rounded.
//   * KV FP8 simulation (§4.2) of the NoPE dims of raw window entries and compressed main entries
//     (64-blocks), their RoPE dims rounded to BF16.
//   * FP4 simulation (32-blocks, §8.3) of the indexer's Hadamard-rotated queries and keys.
// fp32 islands stay double: mHC, the HC head mix, the router, compressor products and pooling,
// the indexer weights and scores (scores are not rounded to BF16, so top-k ties are rare and
// broken by the lower index), attention softmax, and the logits.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "atelier/engine/model_config.h"

namespace atelier::engine::reference {

using Vec = std::vector<double>;
using Rows = std::vector<Vec>;  // [n][width]

// ---- number formats (reference_numerics.cpp) ---------------------------------------------

double bf16Round(double v);
void bf16Round(std::span<double> v);

// One FP8 block (§4.2, §8.3): s = 2^ceil(log2(max(amax, 1e-4)/448)), codes[i] =
// e4m3(clamp(v[i]/s, ±448)) rounded to nearest even. Returns s.
double quantizeFp8Block(std::span<const double> v, std::span<std::uint8_t> codes);
// Replaces v by its FP8 quantize-dequantize in consecutive blocks of `block` elements (the last
// block may be shorter).
void fp8Simulate(std::span<double> v, std::size_t block);

// One FP4 block (§8.3): s = 2^ceil(log2(max(amax, 6·2^-126)/6)), codes[i] =
// e2m1(clamp(v[i]/s, ±6)) rounded to nearest even (codes 8..15 negative). Returns s.
double quantizeFp4Block(std::span<const double> v, std::span<std::uint8_t> codes);
void fp4Simulate(std::span<double> v, std::size_t block);

// Normalised Walsh–Hadamard transform in natural (Sylvester) order, scale 1/sqrt(n); n a power
// of two. Orthogonal and its own inverse.
void hadamard(std::span<double> v);

// y = w ⊙ x / sqrt(mean(x²) + eps); an empty `weight` means weightless.
Vec rmsNorm(std::span<const double> x, std::span<const double> weight, double eps);
double sigmoid(double x);

// ---- RoPE / YaRN (reference_rope.cpp, §4.4) ------------------------------------------------

struct YarnParams {
    double factor = 16.0;
    double originalSeqLen = 65536.0;
    double betaFast = 32.0;
    double betaSlow = 1.0;
};
// Per-pair frequencies f'_i, i = 0..ropeDim/2-1, of base θ, with the DeepSeek YaRN ramp when
// `yarn` is given (no mscale).
Vec ropeFrequencies(int ropeDim, double theta, const YarnParams* yarn);
// The table of `layer`: θ = ropeTheta without YaRN on ratio-0 layers, compressRopeTheta with YaRN
// on ratio-4/128 layers.
Vec layerRopeFrequencies(const ModelConfig& config, int layer);
// Rotates interleaved pairs (2i, 2i+1) of `x` (the r RoPE dims) by angle pos·f_i, or by
// −pos·f_i when `inverse`.
void applyRope(std::span<double> x, std::span<const double> freqs, double pos, bool inverse);

// ---- mHC (reference_hc.cpp, §3) --------------------------------------------------------------

// Sinkhorn projection of an n×n logit matrix (row-major), in the kernel order of §3 step 5.
Vec sinkhorn(std::span<const double> logits, int n, int iters, double eps);

// ---- attention pieces ----------------------------------------------------------------------

// o = Σ_j exp(z_j)·e_j / (Σ_j exp(z_j) + exp(sink)), z_j = (q·e_j)·scale (§4.3). Values are the
// keys themselves (shared-KV MQA). An empty entry set gives 0.
Vec sinkAttention(std::span<const double> q, const std::vector<const Vec*>& entries, double sink,
                  double scale);

// E[ch] = Σ_r softmax_r(scores[r][ch])·values[r][ch]: a softmax over the rows, independently
// per channel (§5.1). Scores of −∞ give weight 0.
Vec poolPerChannel(const Rows& values, const Rows& scores);

}  // namespace atelier::engine::reference
