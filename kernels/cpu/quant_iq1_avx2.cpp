// AVX2 + FMA IQ1_S / IQ1_M x Q8_K dot products (compiled with -mavx2 -mfma -mf16c; only called
// when the CPU has them). Same integer sums as the _ref versions: the shift ±1/8 is carried in
// integers as 8·(sum of ls·grid·q8) + (sum of ls·sign·q8), exact in int32, and each super-block
// adds d · a.d / 8 times it, so results differ from _ref only by the order of float additions.
//
// A block's grid indices are computed with vector ops and moved to general registers four at a
// time (one vmovq or vpextrq); each grid row (8 signed bytes) is then a broadcast load, blended in
// place, which keeps the vector shuffle port free.
//   IQ1_S: a byte lookup (pshufb) of the grid bytes themselves turns -1, 0, 1 into 0, ls, 2·ls
//     (the index 0xff has its top bit set, so it reads 0), that is ls·(grid + 1); maddubs with
//     the activations, and the "+1" comes back out with the bsums: the block's integer is
//     8·Σ ls·(grid + 1)·q8 + Σ_j ls_j·(sign_j - 8)·(sub-block j's code sum).
//   IQ1_M: the byte lookup turns grid + 3·[shift is +] into u = 8·grid + 9 + sign in 0..18;
//     maddubs, madd with the per-16 scales, and 9·Σ ls·bsums is taken off.

#include "atelier/kernels/gemm_quant.h"
#include "cpu/iq_grids.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "cpu/quant_blocks_avx2.h"
#include "cpu/simd_avx2.h"

namespace atelier::kernels {
namespace {

using avx2::hsum;
using avx2::load128;
using avx2::load256;
using iq::kIq1sGrid;

constexpr int kSBytes = 50, kSQh = 34;
constexpr int kMBytes = 56;

// The grid rows of the four indices packed in `quad`, as 32 signed bytes.
[[gnu::always_inline]] inline __m256i gridRows(std::uint64_t quad) {
    __m256i r = _mm256_set1_epi64x(std::int64_t(kIq1sGrid[quad & 0xffff]));
    r = _mm256_blend_epi32(r, _mm256_set1_epi64x(std::int64_t(kIq1sGrid[(quad >> 16) & 0xffff])), 0x0c);
    r = _mm256_blend_epi32(r, _mm256_set1_epi64x(std::int64_t(kIq1sGrid[(quad >> 32) & 0xffff])), 0x30);
    return _mm256_blend_epi32(r, _mm256_set1_epi64x(std::int64_t(kIq1sGrid[quad >> 48])), 0xc0);
}

float iq1sDot(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kSBytes) {
        const __m128i qh = load128(w + kSQh);
        std::uint64_t quads[8];
        avx2::iq1sIndices(w, qh, quads);
        // ls_j = 2·((qh_j >> 12) & 7) + 1; lookup bytes 2j, 2j + 1 = ls_j, 2·ls_j
        const __m128i ls = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(qh, 11), _mm_set1_epi16(14)), _mm_set1_epi16(1));
        const __m256i table = _mm256_broadcastsi128_si256(_mm_or_si128(ls, _mm_slli_epi16(ls, 9)));
        // ls_j·(sign_j - 8): -7·ls_j, or -9·ls_j where bit 15 (shift -1/8) is set
        const __m128i neg = _mm_srai_epi16(qh, 15);
        const __m128i coef = _mm_mullo_epi16(ls, _mm_add_epi16(_mm_set1_epi16(-7), _mm_add_epi16(neg, neg)));
        const __m256i corr = _mm256_madd_epi16(
            load256(a[b].bsums), _mm256_set_m128i(_mm_unpackhi_epi16(coef, coef), _mm_unpacklo_epi16(coef, coef)));
        // Four maddubs results (each |lane| <= 2·30·128) still fit int16 when added.
        __m256i half[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
        _Pragma("GCC unroll 8") for (int j = 0; j < 8; ++j) {
            const __m256i u = _mm256_shuffle_epi8(table, _mm256_or_si256(gridRows(quads[j]), _mm256_set1_epi8(char(2 * j))));
            half[j / 4] = _mm256_add_epi16(half[j / 4], _mm256_maddubs_epi16(u, load256(a[b].qs + 32 * j)));
        }
        const __m256i sum = _mm256_add_epi32(_mm256_madd_epi16(half[0], ones), _mm256_madd_epi16(half[1], ones));
        const __m256i total = _mm256_add_epi32(_mm256_slli_epi32(sum, 3), corr);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(avx2::f16(w) * a[b].d * 0.125f), _mm256_cvtepi32_ps(total), acc);
    }
    return hsum(acc);
}

// One IQ1_M block unpacked. 32 values k (groups 4k..4k+3, scales 2k, 2k+1) read: quads[k]; in
// `shift`, the lookup offsets 3·[shift +] of groups 4k, 4k+1 at bytes 2k, 2k+1 of the low lane
// and those of 4k+2, 4k+3 at the same bytes of the high lane; in `scales`, ls_2k at int16 k of
// the low lane and ls_2k+1 at int16 k of the high lane. ls: the sixteen ls in order.
struct Iq1mBlock {
    std::uint64_t quads[8];
    __m256i shift, scales, ls;
    float d;
};

Iq1mBlock iq1mUnpack(const std::uint8_t* w) {
    Iq1mBlock blk;
    const __m256i plus3 = avx2::iq1mIndices(w, blk.quads);
    // Per 128-bit lane, even group pairs (or int16 lanes) to the low 8 bytes, odd to the high;
    // then the middle qwords swap, so that the even ones fill the low lane.
    const __m256i evenOdd = _mm256_broadcastsi128_si256(_mm_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15));
    blk.shift = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(plus3, evenOdd), 0xd8);
    blk.ls = avx2::iq1mScales(w);
    blk.scales = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(blk.ls, evenOdd), 0xd8);
    blk.d = avx2::iq1mD(w);
    return blk;
}

float iq1mDot(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    // u = 8·grid + 9 + sign at lookup index grid + 3·[sign +] (index 0xff: grid -1, sign -: 0)
    const __m256i levels = _mm256_broadcastsi128_si256(_mm_setr_epi8(8, 16, 2, 10, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    __m256 acc = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kMBytes) {
        const Iq1mBlock blk = iq1mUnpack(w);
        const __m256i corr = _mm256_madd_epi16(load256(a[b].bsums), _mm256_mullo_epi16(blk.ls, _mm256_set1_epi16(9)));
        __m256i sum = _mm256_setzero_si256();
        _Pragma("GCC unroll 8") for (int k = 0; k < 8; ++k) {
            // bytes 2k (eight times), 2k + 1 (eight times); int16 k (sixteen times)
            const __m256i spreadK = _mm256_add_epi8(_mm256_setr_epi64x(0, 0x0101010101010101, 0, 0x0101010101010101),
                                                    _mm256_set1_epi8(char(2 * k)));
            const __m256i pickK = _mm256_set1_epi16(short(2 * k | (2 * k + 1) << 8));
            const __m256i shift = _mm256_shuffle_epi8(blk.shift, spreadK);
            const __m256i u = _mm256_shuffle_epi8(levels, _mm256_add_epi8(gridRows(blk.quads[k]), shift));
            const __m256i p = _mm256_maddubs_epi16(u, load256(a[b].qs + 32 * k));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p, _mm256_shuffle_epi8(blk.scales, pickK)));
        }
        const __m256i total = _mm256_sub_epi32(sum, corr);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(blk.d * a[b].d * 0.125f), _mm256_cvtepi32_ps(total), acc);
    }
    return hsum(acc);
}

}  // namespace

float dot_iq1_s_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return iq1sDot(w, a, nb); }
float dot_iq1_m_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return iq1mDot(w, a, nb); }

}  // namespace atelier::kernels

#else  // not built for x86 AVX2: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_iq1_s_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq1_s_q8_k_ref(w, a, nb); }
float dot_iq1_m_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq1_m_q8_k_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
