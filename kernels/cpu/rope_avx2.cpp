// AVX2 rotary embedding: four (a, b) pairs per vector; the pair-swapped vector times the
// signed sines (the compiler may fuse a product into the add: agrees to rounding).

#if defined(__x86_64__)
#include <immintrin.h>

#include "atelier/kernels/stream_ops.h"

namespace atelier::kernels {

void rope_f32_avx2(float* x, const float* cos, const float* sin, int rope, bool inverse) {
    const int pairs = rope / 2;
    // Lane 2p (a) gets −b·s, lane 2p+1 (b) gets +a·s.
    const __m256 sign = inverse ? _mm256_setr_ps(1, -1, 1, -1, 1, -1, 1, -1)
                                : _mm256_setr_ps(-1, 1, -1, 1, -1, 1, -1, 1);
    int p = 0;
    for (; p + 4 <= pairs; p += 4) {
        const __m128 c4 = _mm_loadu_ps(cos + p), s4 = _mm_loadu_ps(sin + p);
        const __m256 c = _mm256_set_m128(_mm_unpackhi_ps(c4, c4), _mm_unpacklo_ps(c4, c4));
        const __m256 s = _mm256_mul_ps(
            _mm256_set_m128(_mm_unpackhi_ps(s4, s4), _mm_unpacklo_ps(s4, s4)), sign);
        const __m256 v = _mm256_loadu_ps(x + 2 * p);
        const __m256 swapped = _mm256_permute_ps(v, 0xB1);  // (b, a) per pair
        // a·c − b·s in the even lanes, b·c + a·s in the odd ones.
        _mm256_storeu_ps(x + 2 * p, _mm256_fmadd_ps(swapped, s, _mm256_mul_ps(v, c)));
    }
    if (p < pairs) rope_f32_ref(x + 2 * p, cos + p, sin + p, 2 * (pairs - p), inverse);
}

}  // namespace atelier::kernels
#endif
