// AVX2 hyper-connection mixes: eight positions per vector (FMA: agrees with the references to
// rounding).

#if defined(__x86_64__)
#include <immintrin.h>

#include "atelier/kernels/stream_ops.h"

namespace atelier::kernels {
namespace {

// The lanes [0, rest) of a tail: loads read 0 beyond them and stores leave them untouched.
__m256i tailMask(std::int64_t rest) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(rest)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

}  // namespace

void hc_collapse_f32_avx2(const float* X, std::int64_t n, const float w[4], float* y) {
    const __m256 w0 = _mm256_set1_ps(w[0]), w1 = _mm256_set1_ps(w[1]);
    const __m256 w2 = _mm256_set1_ps(w[2]), w3 = _mm256_set1_ps(w[3]);
    for (std::int64_t i = 0; i < n; i += 8) {
        const __m256i mask = tailMask(n - i);
        const auto load = [&](const float* p) { return _mm256_maskload_ps(p, mask); };
        __m256 v = _mm256_mul_ps(w0, load(X + i));
        v = _mm256_fmadd_ps(w1, load(X + n + i), v);
        v = _mm256_fmadd_ps(w2, load(X + 2 * n + i), v);
        v = _mm256_fmadd_ps(w3, load(X + 3 * n + i), v);
        _mm256_maskstore_ps(y + i, mask, v);
    }
}

void hc_expand_f32_avx2(const float post[4], const float comb[16], const float* F, float* X,
                        std::int64_t n) {
    __m256 cb[16], pk[4];
    for (int k = 0; k < 16; ++k) cb[k] = _mm256_set1_ps(comb[k]);
    for (int k = 0; k < 4; ++k) pk[k] = _mm256_set1_ps(post[k]);
    for (std::int64_t i = 0; i < n; i += 8) {
        const __m256i mask = tailMask(n - i);
        __m256 old[4];
        for (int j = 0; j < 4; ++j) old[j] = _mm256_maskload_ps(X + j * n + i, mask);
        const __m256 f = _mm256_maskload_ps(F + i, mask);
        for (int k = 0; k < 4; ++k) {
            __m256 v = _mm256_mul_ps(pk[k], f);
            for (int j = 0; j < 4; ++j) v = _mm256_fmadd_ps(cb[4 * j + k], old[j], v);
            _mm256_maskstore_ps(X + k * n + i, mask, v);
        }
    }
}

}  // namespace atelier::kernels
#endif
