// indexer_score_f32 at a SIMD level (Plain numerics; Release scores in integer form,
// indexer_fp4.h), included by gemm_avx2.cpp and gemm_avx512.cpp after gemm_simd.inl (it uses
// their Simd and dotSimd). Four keys at a time against each head: per key it runs dotSimd's
// operations in their order (two accumulators over alternate chunks of W, then hsum of their
// sum) and adds the heads in order, so every score is the bits of the key-by-key loop over the
// level's dot_f32; what changes is that each query load feeds four keys and eight FMA chains
// are in flight instead of two (a 128-float dot is otherwise bound by the latency of its two
// chains).

namespace atelier::kernels {
namespace {

// w · relu(d) rounded on its own. GCC would fuse it with the running sum into an FMA in these
// files (built with -mfma); the scalar level rounds the product and the sum separately.
float indexerWeighted(float w, float d) {
    float p = w * (d < 0.0f ? 0.0f : d);  // std::max(d, 0): NaN stays NaN
    __asm__("" : "+x"(p));
    return p;
}

// scores[0..K) for keys k[0..K) (stride cI), cI a multiple of 2W.
template <int K>
void indexerScoreKeys(const float* q, const float* w, int nI, int cI, const float* keys,
                      float* scores) {
    using V = typename Simd::V;
    constexpr int W = Simd::W;
    float I[K];
    _Pragma("GCC unroll 4") for (int k = 0; k < K; ++k) I[k] = 0;
    for (int h = 0; h < nI; ++h) {
        const float* qh = q + std::int64_t(h) * cI;
        V s0[K], s1[K];
        _Pragma("GCC unroll 4") for (int k = 0; k < K; ++k) s0[k] = Simd::zero(), s1[k] = Simd::zero();
        for (int i = 0; i < cI; i += 2 * W) {
            const V q0 = Simd::load(qh + i), q1 = Simd::load(qh + i + W);
            _Pragma("GCC unroll 4") for (int k = 0; k < K; ++k) {
                const float* kk = keys + std::int64_t(k) * cI + i;
                s0[k] = Simd::fma(q0, Simd::load(kk), s0[k]);
                s1[k] = Simd::fma(q1, Simd::load(kk + W), s1[k]);
            }
        }
        _Pragma("GCC unroll 4") for (int k = 0; k < K; ++k) {
            const float d = Simd::hsum(Simd::add(s0[k], s1[k]));
            I[k] += indexerWeighted(w[h], d);
        }
    }
    _Pragma("GCC unroll 4") for (int k = 0; k < K; ++k) scores[k] = I[k];
}

void indexerScoreSimd(const float* q, const float* w, int nI, int cI, const float* keys,
                      std::int64_t n, float* scores) {
    if (cI % (2 * Simd::W) != 0) {  // dotSimd's tail path: key by key
        for (std::int64_t s = 0; s < n; ++s) {
            float I = 0;
            for (int h = 0; h < nI; ++h)
                I += indexerWeighted(w[h], dotSimd(q + std::int64_t(h) * cI, keys + s * cI, cI));
            scores[s] = I;
        }
        return;
    }
    std::int64_t s = 0;
    for (; s + 4 <= n; s += 4) indexerScoreKeys<4>(q, w, nI, cI, keys + s * cI, scores + s);
    for (; s < n; ++s) indexerScoreKeys<1>(q, w, nI, cI, keys + s * cI, scores + s);
}

}  // namespace
}  // namespace atelier::kernels
