#pragma once
// The model's weights decoded into double, as the reference forward reads them, and the
// matrix-vector product with the Release numerics' FP8 input / BF16 output simulation.
// Internal to the engine. Thread-safe after loading: read-only.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "atelier/base/result.h"
#include "atelier/engine/weight_source.h"
#include "reference_math.h"

namespace atelier::engine::reference {

struct Matrix {
    std::int64_t rows = 0;      // out
    std::int64_t cols = 0;      // in
    std::vector<float> w;       // [rows, cols], exactly the decoded values (decodeRow gives float)
    // LinearFp8 / ExpertFp4 roles: under Release the input is FP8-quantized (1x128 blocks)
    // and the product is rounded to BF16, like the reference's fp8_gemm.
    bool fp8Product = false;

    const float* row(std::int64_t r) const { return w.data() + r * cols; }
};

// Σ_i a[i]·b[i] in double (equal sizes).
double dot(std::span<const double> a, std::span<const double> b);
double dot(std::span<const float> a, std::span<const double> b);
// y[r - begin] = Σ_k W[r,k]·x[k] for r in [begin, end): the plain product.
Vec matVec(const Matrix& m, std::span<const double> x, std::int64_t begin, std::int64_t end);
// The whole product with the Release simulation of `m.fp8Product` when `release`.
Vec linear(const Matrix& m, std::span<const double> x, bool release);

struct HcParams {
    Matrix fn;   // [24 or 4, 4d]
    Vec base;    // [24 or 4]
    Vec scale;   // [3 or 1]
};

struct CompressorWeights {
    Matrix wkv, wgate;  // [κ·c, d]
    Matrix ape;         // [ratio, κ·c]
    Vec norm;           // [c]
};

struct IndexerWeights {
    Matrix wqB;          // [n_I·c_I, d_c]
    Matrix weightsProj;  // [n_I, d]
    CompressorWeights compressor;
};

struct AttentionWeights {
    Matrix wqA;     // [d_c, d]
    Vec qNorm;      // [d_c]
    Matrix wqB;     // [H·c, d_c]
    Matrix wkv;     // [c, d]
    Vec kvNorm;     // [c]
    Matrix woA;     // [g·d_g, (H/g)·c]
    Matrix woB;     // [d, g·d_g]
    Vec sink;       // [H]
    std::optional<CompressorWeights> compressor;  // ratio 4 and 128
    std::optional<IndexerWeights> indexer;        // ratio 4
};

struct ExpertWeights {
    Matrix w1, w3;  // [f, d]
    Matrix w2;      // [d, f]
};

struct MoeWeights {
    Matrix gate;                     // [E, d]
    Vec bias;                        // [E], score-routed layers
    std::vector<std::int64_t> tid2eid;  // [V, k], hash-routed layers
    std::vector<ExpertWeights> experts;
    ExpertWeights shared;            // f·n_shared wide
};

struct LayerWeights {
    HcParams hcAttn, hcFfn;
    Vec attnNorm, ffnNorm;  // [d]
    AttentionWeights attn;
    MoeWeights moe;
};

// The tensors outside the blocks.
struct ModelWeights {
    Matrix embed;  // [V, d]
    Matrix head;   // [V, d]
    Vec norm;      // [d]
    HcParams hcHead;
};

// Decoders; the error names the tensor that is missing or misshapen. Blocks are decoded one at
// a time so that only one layer's experts are held at once (the small preset fits).
Result<ModelWeights> loadGlobals(const WeightSource& source);
Result<LayerWeights> loadLayer(const WeightSource& source, int layer);

}  // namespace atelier::engine::reference
