// AVX-512 (F + BW) IQ1_S / IQ1_M x Q8_K dot products: the scheme of quant_iq1_avx2.cpp on 64-byte
// vectors, 64 values (eight grid rows) per instruction (compiled with -mavx512f -mavx512bw
// -mavx512vl; only called when the CPU has them). Same integer sums as the _ref versions, so
// results differ from them only by the order of float additions.

#include "atelier/kernels/gemm_quant.h"
#include "cpu/iq_grids.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>

#include <cstring>

// g++ 12 flags the deliberately undefined upper lanes inside its own insert/extract intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace atelier::kernels {
namespace {

using iq::kIq1sGrid;

constexpr int kSBytes = 50, kSQs = 2, kSQh = 34;
constexpr int kMBytes = 56, kMQh = 32, kMScales = 48;
constexpr std::int64_t kBytes8 = 0x0101010101010101;  // a byte repeated 8 times

__m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
__m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
__m512i load512(const void* p) { return _mm512_loadu_si512(p); }

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

// The grid rows of the eight indices in quads[0..1], as 64 signed bytes: broadcast loads merged
// by a tree of mask blends (vpblendd has no EVEX form, and masked loads into one register would
// chain).
[[gnu::always_inline]] inline __m512i gridRows8(const std::uint64_t* quads) {
    auto row = [](std::uint64_t quad, int i) { return _mm512_set1_epi64(std::int64_t(kIq1sGrid[(quad >> (16 * i)) & 0xffff])); };
    const __m512i r01 = _mm512_mask_blend_epi64(0xaa, row(quads[0], 0), row(quads[0], 1));
    const __m512i r23 = _mm512_mask_blend_epi64(0xaa, row(quads[0], 2), row(quads[0], 3));
    const __m512i r45 = _mm512_mask_blend_epi64(0xaa, row(quads[1], 0), row(quads[1], 1));
    const __m512i r67 = _mm512_mask_blend_epi64(0xaa, row(quads[1], 2), row(quads[1], 3));
    return _mm512_mask_blend_epi64(0xf0, _mm512_mask_blend_epi64(0xcc, r01, r23), _mm512_mask_blend_epi64(0xcc, r45, r67));
}

// 16-bit lanes 4k + i of `words` hold a word whose 3-bit field i (bits 3i..3i+2) is wanted: a
// multiply by 2^(9 - 3i) moves it to bits 9..11 (as in quant_iq1_avx2.cpp).
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
    const __m512i ones = _mm512_set1_epi16(1);
    __m512 acc = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kSBytes) {
        const __m128i qh = load128(w + kSQh);
        std::uint64_t quads[8];
        iq1sIndices(w, qh, quads);
        // lookup bytes 2j, 2j + 1 = ls_j, 2·ls_j: the grid byte -1, 0, 1 reads 0, ls, 2·ls
        const __m128i ls = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(qh, 11), _mm_set1_epi16(14)), _mm_set1_epi16(1));
        const __m512i table = _mm512_broadcast_i32x4(_mm_or_si128(ls, _mm_slli_epi16(ls, 9)));
        const __m128i neg = _mm_srai_epi16(qh, 15);  // ls_j·(sign_j - 8)
        const __m128i coef = _mm_mullo_epi16(ls, _mm_add_epi16(_mm_set1_epi16(-7), _mm_add_epi16(neg, neg)));
        const __m256i corr = _mm256_madd_epi16(
            load256(a[b].bsums), _mm256_set_m128i(_mm_unpackhi_epi16(coef, coef), _mm_unpacklo_epi16(coef, coef)));
        // Four maddubs results (each |lane| <= 2·30·128) still fit int16 when added.
        __m512i sum16 = _mm512_setzero_si512();
        _Pragma("GCC unroll 4") for (int m = 0; m < 4; ++m) {
            // lookup offsets 4m in lanes 0-1 (sub-block 2m), 4m + 2 in lanes 2-3
            const __m512i off = _mm512_set_epi64((4 * m + 2) * kBytes8, (4 * m + 2) * kBytes8, (4 * m + 2) * kBytes8,
                                                   (4 * m + 2) * kBytes8, 4 * m * kBytes8, 4 * m * kBytes8,
                                                   4 * m * kBytes8, 4 * m * kBytes8);
            const __m512i u = _mm512_shuffle_epi8(table, _mm512_or_si512(gridRows8(quads + 2 * m), off));
            sum16 = _mm512_add_epi16(sum16, _mm512_maddubs_epi16(u, load512(a[b].qs + 64 * m)));
        }
        const __m512i sum = _mm512_madd_epi16(sum16, ones);
        const __m512i total = _mm512_add_epi32(_mm512_slli_epi32(sum, 3), _mm512_zextsi256_si512(corr));
        acc = _mm512_fmadd_ps(_mm512_set1_ps(halfAt(w) * a[b].d * 0.125f), _mm512_cvtepi32_ps(total), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

// One IQ1_M block unpacked. 64 values m (groups 8m..8m+7, scales 4m..4m+3; 128-bit lane i holds
// groups 8m + 2i, 8m + 2i + 1 and scale 4m + i) read: quads[2m], quads[2m + 1]; in `shift`, the
// lookup offsets 3·[shift +] of lane i's two groups at bytes 2m, 2m + 1 of lane i; in
// `scales`, ls_4m+i at int16 m of lane i. ls: the sixteen ls in order.
struct Iq1mBlock {
    std::uint64_t quads[8];
    __m512i shift, scales;
    __m256i ls;
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
    // 16-bit element m of lane i <- element 4m + i (a group pair, or a scale)
    const __m512i gather = _mm512_set_epi64(0, 0x000f000b00070003, 0, 0x000e000a00060002,  //
                                            0, 0x000d000900050001, 0, 0x000c000800040000);
    const __m256i nibbles = _mm256_set_m128i(nib[1], nib[0]);
    const __m256i plus = _mm256_cmpeq_epi8(_mm256_and_si256(nibbles, _mm256_set1_epi8(8)), _mm256_setzero_si256());
    blk.shift = _mm512_permutexvar_epi16(gather, _mm512_zextsi256_si512(_mm256_and_si256(plus, _mm256_set1_epi8(3))));
    // int16 lane p = 4k + i takes scale word k; ls = 2·field + 1
    std::int64_t sc;
    std::memcpy(&sc, w + kMScales, 8);
    const __m256i spread = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3,  //
                                            4, 5, 4, 5, 4, 5, 4, 5, 6, 7, 6, 7, 6, 7, 6, 7);
    const __m256i words = _mm256_shuffle_epi8(_mm256_set1_epi64x(sc), spread);
    blk.ls = _mm256_or_si256(_mm256_srli_epi16(fieldsAt9(words), 8), _mm256_set1_epi16(1));
    blk.scales = _mm512_permutexvar_epi16(gather, _mm512_zextsi256_si512(blk.ls));
    std::uint16_t s[4];
    std::memcpy(s, w + kMScales, 8);
    const auto dh = std::uint16_t((s[0] >> 12) | ((s[1] >> 8) & 0x00f0) | ((s[2] >> 4) & 0x0f00) | (s[3] & 0xf000));
    blk.d = _cvtsh_ss(dh);
    return blk;
}

float iq1mDot(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    // u = 8·grid + 9 + sign at lookup index grid + 3·[sign +] (index 0xff: grid -1, sign -: 0)
    const __m512i levels = _mm512_broadcast_i32x4(_mm_setr_epi8(8, 16, 2, 10, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    __m512 acc = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kMBytes) {
        const Iq1mBlock blk = iq1mUnpack(w);
        const __m256i corr = _mm256_madd_epi16(load256(a[b].bsums), _mm256_mullo_epi16(blk.ls, _mm256_set1_epi16(9)));
        __m512i sum = _mm512_setzero_si512();
        _Pragma("GCC unroll 4") for (int m = 0; m < 4; ++m) {
            // bytes 2m (eight times), 2m + 1 (eight times); int16 m (eight times) of each lane
            const __m512i spreadM = _mm512_set_epi64((2 * m + 1) * kBytes8, 2 * m * kBytes8, (2 * m + 1) * kBytes8,
                                                     2 * m * kBytes8, (2 * m + 1) * kBytes8, 2 * m * kBytes8,
                                                     (2 * m + 1) * kBytes8, 2 * m * kBytes8);
            const __m512i pickM = _mm512_set1_epi16(short(2 * m | (2 * m + 1) << 8));
            const __m512i shift = _mm512_shuffle_epi8(blk.shift, spreadM);
            const __m512i u = _mm512_shuffle_epi8(levels, _mm512_add_epi8(gridRows8(blk.quads + 2 * m), shift));
            const __m512i p = _mm512_maddubs_epi16(u, load512(a[b].qs + 64 * m));
            sum = _mm512_add_epi32(sum, _mm512_madd_epi16(p, _mm512_shuffle_epi8(blk.scales, pickM)));
        }
        const __m512i total = _mm512_sub_epi32(sum, _mm512_zextsi256_si512(corr));
        acc = _mm512_fmadd_ps(_mm512_set1_ps(blk.d * a[b].d * 0.125f), _mm512_cvtepi32_ps(total), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

}  // namespace

float dot_iq1_s_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return iq1sDot(w, a, nb); }
float dot_iq1_m_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return iq1mDot(w, a, nb); }

}  // namespace atelier::kernels

#else  // not built for AVX-512: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_iq1_s_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq1_s_q8_k_ref(w, a, nb); }
float dot_iq1_m_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq1_m_q8_k_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
