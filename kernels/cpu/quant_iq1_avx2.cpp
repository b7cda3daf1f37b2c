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

#include <cstring>

namespace atelier::kernels {
namespace {

using iq::kIq1sGrid;

constexpr int kSBytes = 50, kSQs = 2, kSQh = 34;
constexpr int kMBytes = 56, kMQh = 32, kMScales = 48;

float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

__m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
__m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

float halfAt(const std::uint8_t* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// Four 16-bit grid indices per 128-bit half -> quads[0..1] (general registers, not the stack).
[[gnu::always_inline]] inline void toQuads(__m128i v, std::uint64_t* quads) {
    quads[0] = std::uint64_t(_mm_cvtsi128_si64(v));
    quads[1] = std::uint64_t(_mm_extract_epi64(v, 1));
}

// The grid rows of the four indices packed in `quad`, as 32 signed bytes.
[[gnu::always_inline]] inline __m256i gridRows(std::uint64_t quad) {
    __m256i r = _mm256_set1_epi64x(std::int64_t(kIq1sGrid[quad & 0xffff]));
    r = _mm256_blend_epi32(r, _mm256_set1_epi64x(std::int64_t(kIq1sGrid[(quad >> 16) & 0xffff])), 0x0c);
    r = _mm256_blend_epi32(r, _mm256_set1_epi64x(std::int64_t(kIq1sGrid[(quad >> 32) & 0xffff])), 0x30);
    return _mm256_blend_epi32(r, _mm256_set1_epi64x(std::int64_t(kIq1sGrid[quad >> 48])), 0xc0);
}

// 16-bit lanes 4k + i of `words` hold a word whose 3-bit field i (bits 3i..3i+2) is wanted: a
// multiply by 2^(9 - 3i) moves it to bits 9..11 (AVX2 has no per-lane 16-bit shift).
__m256i fieldsAt9(__m256i words) {
    const __m256i mul = _mm256_set1_epi64x(0x0001000800400200);  // 512, 64, 8, 1
    return _mm256_and_si256(_mm256_mullo_epi16(words, mul), _mm256_set1_epi16(0x0e00));
}

// IQ1_S grid indices qs[g] | ((qh[g / 4] >> 3·(g % 4)) & 7) << 8; quads[j]: sub-block j's four.
void iq1sIndices(const std::uint8_t* w, __m128i qh, std::uint64_t* quads) {
    const __m128i lo = _mm_unpacklo_epi16(qh, qh), hi = _mm_unpackhi_epi16(qh, qh);
    const __m256i words[2] = {_mm256_set_m128i(_mm_unpackhi_epi32(lo, lo), _mm_unpacklo_epi32(lo, lo)),
                              _mm256_set_m128i(_mm_unpackhi_epi32(hi, hi), _mm_unpacklo_epi32(hi, hi))};
    for (int h = 0; h < 2; ++h) {
        const __m256i q = _mm256_cvtepu8_epi16(load128(w + kSQs + 16 * h));
        const __m256i idx = _mm256_or_si256(q, _mm256_srli_epi16(fieldsAt9(words[h]), 1));
        toQuads(_mm256_castsi256_si128(idx), quads + 4 * h);
        toQuads(_mm256_extracti128_si256(idx, 1), quads + 4 * h + 2);
    }
}

float iq1sDot(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kSBytes) {
        const __m128i qh = load128(w + kSQh);
        std::uint64_t quads[8];
        iq1sIndices(w, qh, quads);
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
        acc = _mm256_fmadd_ps(_mm256_set1_ps(halfAt(w) * a[b].d * 0.125f), _mm256_cvtepi32_ps(total), acc);
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
    const __m128i low4 = _mm_set1_epi8(15), qh = load128(w + kMQh);
    const __m128i lo = _mm_and_si128(qh, low4), hi = _mm_and_si128(_mm_srli_epi16(qh, 4), low4);
    const __m128i nib[2] = {_mm_unpacklo_epi8(lo, hi), _mm_unpackhi_epi8(lo, hi)};  // group order
    for (int h = 0; h < 2; ++h) {
        const __m128i qs = load128(w + 16 * h), top = _mm_and_si128(nib[h], _mm_set1_epi8(7));
        toQuads(_mm_unpacklo_epi8(qs, top), blk.quads + 4 * h);
        toQuads(_mm_unpackhi_epi8(qs, top), blk.quads + 4 * h + 2);
    }
    // Per 128-bit lane, even group pairs (or int16 lanes) to the low 8 bytes, odd to the high;
    // then the middle qwords swap, so that the even ones fill the low lane.
    const __m256i evenOdd = _mm256_broadcastsi128_si256(_mm_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15));
    const __m256i nibbles = _mm256_set_m128i(nib[1], nib[0]);
    const __m256i plus = _mm256_cmpeq_epi8(_mm256_and_si256(nibbles, _mm256_set1_epi8(8)), _mm256_setzero_si256());
    blk.shift = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(_mm256_and_si256(plus, _mm256_set1_epi8(3)), evenOdd), 0xd8);
    // int16 lane p = 4k + i takes scale word k; ls = 2·field + 1
    std::int64_t sc;
    std::memcpy(&sc, w + kMScales, 8);
    const __m256i spread = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3,  //
                                            4, 5, 4, 5, 4, 5, 4, 5, 6, 7, 6, 7, 6, 7, 6, 7);
    const __m256i words = _mm256_shuffle_epi8(_mm256_set1_epi64x(sc), spread);
    blk.ls = _mm256_or_si256(_mm256_srli_epi16(fieldsAt9(words), 8), _mm256_set1_epi16(1));
    blk.scales = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(blk.ls, evenOdd), 0xd8);
    std::uint16_t s[4];
    std::memcpy(s, w + kMScales, 8);
    const auto dh = std::uint16_t((s[0] >> 12) | ((s[1] >> 8) & 0x00f0) | ((s[2] >> 4) & 0x0f00) | (s[3] & 0xf000));
    blk.d = _cvtsh_ss(dh);
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
