// The AVX-512 Q3_K x Q8_K dot product, written once for two levels: kVnni = false is AVX-512
// F + BW (maddubs, then madd by the int16 sub-block scales; quant_q3_k_avx512.cpp), kVnni = true
// has vpdpbusd sum four code x activation products per int32 lane, then one multiply by the
// sub-block scales (quant_q3_k_avx512vnni.cpp, compiled with -mavx512vnni as well). The VNNI
// intrinsics stand only in `if constexpr (kVnni)` branches, which the build without
// -mavx512vnni never instantiates. Include only from those two files, after checking
// __AVX512F__ / __AVX512BW__.
// The exported bodies are [[gnu::always_inline]], so that each function the .cpp exports is the
// body itself: compiled as a separate template instance g++ 12 allocates registers differently
// (IQ2_XXS at AVX-512 ran 1.6x slower).
//
// 64 codes per instruction, multiplied as unsigned code + 4; the +4 is removed through the
// activation block sums. Same integer sums as dot_q3_k_q8_k_ref.

#include <immintrin.h>

#include "atelier/kernels/gemm_quant.h"
#include "cpu/quant_blocks_avx2.h"
#include "cpu/simd_avx2.h"
#include "cpu/simd_avx512.h"

namespace atelier::kernels {
namespace {

using avx2::load256;
using avx512::join;

// Q3_K: hmask[32], qs[64], scales[12], f16 d.
constexpr int kQs = 32, kScales = 96, kD = 108, kBytes = 110;

// Permute indices for chunk c of 64 elements (sub-blocks 4c..4c+3): vpermw's int16 lane L ->
// 4c + L/8, or with VNNI vpermd's int32 lane L -> 4c + L/4.
template <bool kVnni>
__m512i scaleIndex(int c) {
    if constexpr (kVnni) {
        const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        return _mm512_add_epi32(_mm512_set1_epi32(4 * c), _mm512_srli_epi32(lane, 2));
    } else {
        const __m512i lane = _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
                                              15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
        return _mm512_add_epi16(_mm512_set1_epi16(short(4 * c)), _mm512_srli_epi16(lane, 3));
    }
}

template <bool kVnni>
[[gnu::always_inline]] inline float q3kDot(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    const __m512i three = _mm512_set1_epi8(3), four = _mm512_set1_epi8(4);
    const __m512i index[4] = {scaleIndex<kVnni>(0), scaleIndex<kVnni>(1), scaleIndex<kVnni>(2), scaleIndex<kVnni>(3)};
    __m512 acc = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kBytes) {
        const __m128i sc8 = avx2::q3kScales(w + kScales);
        // int16 scales for vpermw, int32 for vpermd
        const __m512i scales = kVnni ? _mm512_cvtepi8_epi32(sc8) : _mm512_castsi256_si512(_mm256_cvtepi8_epi16(sc8));
        // Both halves test the same bit for chunks of 32 elements 2c and 2c+1.
        const __m256i hm = load256(w);
        const __m512i hmask = join(hm, _mm256_srli_epi16(hm, 1));
        const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(_mm256_cvtepi8_epi16(sc8), load256(a[b].bsums)), 2);
        __m512i sumi = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_zextsi256_si512(offset));
        for (int n = 0; n < 2; ++n) {
            const __m256i q = load256(w + kQs + 32 * n);
            const __m512i q2 = join(q, _mm256_srli_epi16(q, 2));  // low bits of k = 0 | 1, >> 4: k = 2 | 3
#pragma GCC unroll 2
            for (int h = 0; h < 2; ++h) {  // elements 128n + 64h .. + 63, sub-blocks 8n + 4h ..
                const int c = 2 * n + h;
                const __m512i low = _mm512_and_si512(_mm512_srli_epi16(q2, 4 * h), three);
                const __mmask64 high = _mm512_test_epi8_mask(hmask, _mm512_set1_epi8(char(1 << (2 * c))));
                const __m512i codes = _mm512_mask_add_epi8(low, high, low, four);
                const __m512i x = _mm512_loadu_si512(a[b].qs + 64 * c);
                if constexpr (kVnni) {
                    const __m512i quads = _mm512_dpbusd_epi32(_mm512_setzero_si512(), codes, x);
                    sumi = _mm512_add_epi32(sumi, _mm512_mullo_epi32(quads, _mm512_permutexvar_epi32(index[c], scales)));
                } else {
                    const __m512i pairs = _mm512_maddubs_epi16(codes, x);
                    sumi = _mm512_add_epi32(sumi, _mm512_madd_epi16(pairs, _mm512_permutexvar_epi16(index[c], scales)));
                }
            }
        }
        acc = _mm512_fmadd_ps(_mm512_set1_ps(a[b].d * avx2::f16(w + kD)), _mm512_cvtepi32_ps(sumi), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

}  // namespace
}  // namespace atelier::kernels
