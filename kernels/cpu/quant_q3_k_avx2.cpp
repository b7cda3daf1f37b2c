// AVX2 + FMA Q3_K x Q8_K dot product (compiled with -mavx2 -mfma -mf16c; only called when the
// CPU has them). The 3-bit codes are multiplied as unsigned code + 4 (0..7, maddubs' unsigned
// side); the +4 comes back out through the activation block sums (4 · scale · bsums). Same
// integer sums as dot_q3_k_q8_k_ref; only the order of float additions differs.

#include "atelier/kernels/gemm_quant.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "cpu/quant_blocks_avx2.h"
#include "cpu/simd_avx2.h"

namespace atelier::kernels {
namespace {

using avx2::f16;
using avx2::hsum;

// Q3_K: hmask[32], qs[64], scales[12], f16 d.
constexpr int kQs = 32, kScales = 96, kD = 108, kBytes = 110;

// Byte 2 of each lane gets bit `bit` of the hmask bytes (the high bit of the code, worth 4).
__m256i highBits(__m256i hmask, int bit) {
    const __m256i four = _mm256_set1_epi8(4);
    return bit >= 2 ? _mm256_and_si256(_mm256_srli_epi16(hmask, bit - 2), four)
                    : _mm256_and_si256(_mm256_slli_epi16(hmask, 2 - bit), four);
}

// int16 multipliers for the 32 elements of chunk m (sub-blocks 2m, 2m+1): `half` holds the
// eight int16 scales of sub-blocks 8·(m/4).. in both 128-bit lanes.
__m256i chunkScales(__m256i half, int m) {
    const int r = m % 4;
    const __m256i pick = _mm256_set_m128i(_mm_set1_epi16(short(0x0302 + 0x0404 * r)),
                                          _mm_set1_epi16(short(0x0100 + 0x0404 * r)));
    return _mm256_shuffle_epi8(half, pick);
}

}  // namespace

float dot_q3_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    const __m256i three = _mm256_set1_epi8(3);
    __m256 acc = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kBytes) {
        const __m256i sc16 = _mm256_cvtepi8_epi16(avx2::q3kScales(w + kScales));
        const __m256i halves[2] = {_mm256_permute4x64_epi64(sc16, 0x44), _mm256_permute4x64_epi64(sc16, 0xee)};
        const __m256i hmask = avx2::load256(w);
        const std::int8_t* act = a[b].qs;
        // sum of scale · (code + 4) · activation, less 4 · sum of scale · bsums
        const __m256i bsums = avx2::load256(a[b].bsums);
        __m256i sumi = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bsums), 2));
        for (int n = 0; n < 2; ++n) {
            const __m256i q = avx2::load256(w + kQs + 32 * n);
#pragma GCC unroll 4
            for (int k = 0; k < 4; ++k) {  // chunk m = 4n + k: elements 32m..32m+31
                const int m = 4 * n + k;
                const __m256i low = _mm256_and_si256(_mm256_srli_epi16(q, 2 * k), three);
                const __m256i codes = _mm256_or_si256(low, highBits(hmask, m));
                const __m256i x = avx2::load256(act + 32 * m);
                const __m256i pairs = _mm256_maddubs_epi16(codes, x);
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(pairs, chunkScales(halves[n], m)));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(a[b].d * f16(w + kD)), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum(acc);
}

}  // namespace atelier::kernels

#else  // not built for x86 AVX2: never dispatched here, but the symbol must exist

namespace atelier::kernels {
float dot_q3_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_q3_k_q8_k_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
