// The avx512 body of fmaBurn(): 12 independent vector FMA chains (enough for 2 FMA ports of
// latency 4–5), all in registers.

#if defined(__x86_64__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "atelier/kernels/peak_fma.h"

namespace atelier::kernels {

std::int64_t fmaBurn_avx512(std::int64_t iterations) {
    constexpr int kChains = 12;
    volatile float m = 0.999999f, c = 1e-7f;
    const __m512 mul = _mm512_set1_ps(m), add = _mm512_set1_ps(c);
    __m512 acc[kChains];
    // The loops over acc[] are unrolled: GCC -O2 otherwise keeps acc[] on the stack, and the
    // burn then measures store forwarding (a quarter of the FMA rate or less), not the FMA units.
#pragma GCC unroll 16
    for (int k = 0; k < kChains; ++k) acc[k] = _mm512_set1_ps(float(k + 1));
    for (std::int64_t i = 0; i < iterations; ++i)
#pragma GCC unroll 16
        for (int k = 0; k < kChains; ++k) acc[k] = _mm512_fmadd_ps(acc[k], mul, add);
    __m512 sum = acc[0];
#pragma GCC unroll 16
    for (int k = 1; k < kChains; ++k) sum = _mm512_add_ps(sum, acc[k]);
    alignas(64) float out[16];
    _mm512_store_ps(out, sum);
    volatile float sink = out[0];
    (void)sink;
    return iterations * kChains * 16 * 2;
}

}  // namespace atelier::kernels
#endif
