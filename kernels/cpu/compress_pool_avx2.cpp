// AVX2 compressor pooling: eight channels per vector, the per-channel softmax over the state
// rows with a polynomial exp (relative error ~2e-7 on the range used, x ≤ 0).

#if defined(__x86_64__)
#include <immintrin.h>

#include <cmath>

#include "atelier/kernels/stream_ops.h"

namespace atelier::kernels {
namespace {

// e^x for x ≤ 0 (−∞ and x < −87 give 0 or a denormal-free tiny value): x = n·ln2 + r with
// |r| ≤ ln2/2, e^r by a degree-6 Taylor polynomial, 2^n through the exponent bits.
__m256 expNonPositive(__m256 x) {
    const __m256 lo = _mm256_set1_ps(-87.0f);
    const __m256 tiny = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    x = _mm256_max_ps(x, lo);
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187045e-06f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    const __m256 e = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
    return _mm256_andnot_ps(tiny, e);
}

}  // namespace

void compress_pool_f32_avx2(const float* K, const float* Z, int c, int kc, int rows,
                            bool overlap, float* E) {
    const __m256 minusInf = _mm256_set1_ps(-INFINITY);
    int ch = 0;
    for (; ch + 8 <= c; ch += 8) {
        const auto at = [&](int row) { return row * kc + (overlap && row >= 4 ? c + ch : ch); };
        __m256 m = minusInf;
        for (int row = 0; row < rows; ++row) m = _mm256_max_ps(m, _mm256_loadu_ps(Z + at(row)));
        __m256 sum = _mm256_setzero_ps(), acc = _mm256_setzero_ps();
        for (int row = 0; row < rows; ++row) {
            const __m256 z = _mm256_loadu_ps(Z + at(row));
            const __m256 empty = _mm256_cmp_ps(z, minusInf, _CMP_EQ_OQ);
            // Rows with Z = −∞ add nothing (and m = −∞ would make z − m NaN).
            const __m256 e = _mm256_andnot_ps(empty, expNonPositive(_mm256_sub_ps(z, m)));
            sum = _mm256_add_ps(sum, e);
            acc = _mm256_fmadd_ps(e, _mm256_loadu_ps(K + at(row)), acc);
        }
        _mm256_storeu_ps(E + ch, _mm256_div_ps(acc, sum));
    }
    compress_pool_tail_f32_ref(K, Z, c, kc, rows, overlap, ch, E);
}

}  // namespace atelier::kernels
#endif
