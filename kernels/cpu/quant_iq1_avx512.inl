// The AVX-512 IQ1_S / IQ1_M x Q8_K dot products, written once for two levels: kVnni = false is
// AVX-512 F + BW (maddubs + madd; quant_iq1_avx512.cpp), kVnni = true uses vpdpbusd in their
// place (quant_iq1_avx512vnni.cpp, compiled with -mavx512vnni as well). The VNNI intrinsics stand
// only in `if constexpr (kVnni)` branches, which the build without -mavx512vnni never
// instantiates. Include only from those two files, after checking __AVX512F__ / __AVX512BW__.
// The exported bodies are [[gnu::always_inline]], so that each function the .cpp exports is the
// body itself: compiled as a separate template instance g++ 12 allocates registers differently
// (IQ2_XXS at AVX-512 ran 1.6x slower).
//
// The scheme of quant_iq1_avx2.cpp on 64-byte vectors, 64 values (eight grid rows) per
// instruction. With VNNI, IQ1_S's lookup already carries the sub-block scale, so vpdpbusd sums
// whole super-blocks; IQ1_M's per-16 scales are applied with vpdpwssd to the vpdpbusd sums of
// four products (at most 4·18·128, an int16). Same integer sums as the _ref versions, so results
// differ from them only by the order of float additions.

#include <immintrin.h>

#include "atelier/kernels/gemm_quant.h"
#include "cpu/iq_grids.h"
#include "cpu/quant_blocks_avx2.h"
#include "cpu/simd_avx2.h"
#include "cpu/simd_avx512.h"

namespace atelier::kernels {
namespace {

using avx2::load128;
using avx2::load256;
using iq::kIq1sGrid;

constexpr int kSBytes = 50, kSQh = 34;
constexpr int kMBytes = 56;
constexpr std::int64_t kBytes8 = 0x0101010101010101;  // a byte repeated 8 times

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

template <bool kVnni>
[[gnu::always_inline]] inline float iq1sDot(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    const __m512i ones = _mm512_set1_epi16(1);
    __m512 acc = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kSBytes) {
        const __m128i qh = load128(w + kSQh);
        std::uint64_t quads[8];
        avx2::iq1sIndices(w, qh, quads);
        // lookup bytes 2j, 2j + 1 = ls_j, 2·ls_j: the grid byte -1, 0, 1 reads 0, ls, 2·ls
        const __m128i ls = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(qh, 11), _mm_set1_epi16(14)), _mm_set1_epi16(1));
        const __m512i table = _mm512_broadcast_i32x4(_mm_or_si128(ls, _mm_slli_epi16(ls, 9)));
        const __m128i neg = _mm_srai_epi16(qh, 15);  // ls_j·(sign_j - 8)
        const __m128i coef = _mm_mullo_epi16(ls, _mm_add_epi16(_mm_set1_epi16(-7), _mm_add_epi16(neg, neg)));
        const __m256i corr = _mm256_madd_epi16(
            load256(a[b].bsums), _mm256_set_m128i(_mm_unpackhi_epi16(coef, coef), _mm_unpacklo_epi16(coef, coef)));
        // Without VNNI, four maddubs results (each |lane| <= 2·30·128) still fit int16 when added;
        // with VNNI, int32 sums of four products.
        __m512i sum = _mm512_setzero_si512();
        _Pragma("GCC unroll 4") for (int m = 0; m < 4; ++m) {
            // lookup offsets 4m in lanes 0-1 (sub-block 2m), 4m + 2 in lanes 2-3
            const __m512i off = _mm512_set_epi64((4 * m + 2) * kBytes8, (4 * m + 2) * kBytes8, (4 * m + 2) * kBytes8,
                                                   (4 * m + 2) * kBytes8, 4 * m * kBytes8, 4 * m * kBytes8,
                                                   4 * m * kBytes8, 4 * m * kBytes8);
            const __m512i u = _mm512_shuffle_epi8(table, _mm512_or_si512(gridRows8(quads + 2 * m), off));
            if constexpr (kVnni) sum = _mm512_dpbusd_epi32(sum, u, _mm512_loadu_si512(a[b].qs + 64 * m));
            else sum = _mm512_add_epi16(sum, _mm512_maddubs_epi16(u, _mm512_loadu_si512(a[b].qs + 64 * m)));
        }
        if constexpr (!kVnni) sum = _mm512_madd_epi16(sum, ones);
        const __m512i total = _mm512_add_epi32(_mm512_slli_epi32(sum, 3), _mm512_zextsi256_si512(corr));
        acc = _mm512_fmadd_ps(_mm512_set1_ps(avx2::f16(w) * a[b].d * 0.125f), _mm512_cvtepi32_ps(total), acc);
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
    const __m256i plus3 = avx2::iq1mIndices(w, blk.quads);
    // 16-bit element m of lane i <- element 4m + i (a group pair, or a scale)
    const __m512i gather = _mm512_set_epi64(0, 0x000f000b00070003, 0, 0x000e000a00060002,  //
                                            0, 0x000d000900050001, 0, 0x000c000800040000);
    blk.shift = _mm512_permutexvar_epi16(gather, _mm512_zextsi256_si512(plus3));
    blk.ls = avx2::iq1mScales(w);
    blk.scales = _mm512_permutexvar_epi16(gather, _mm512_zextsi256_si512(blk.ls));
    blk.d = avx2::iq1mD(w);
    return blk;
}

// Not forced inline, unlike the other bodies: g++ 12 keeps it one function that the export
// calls, as the per-level files had it.
template <bool kVnni>
float iq1mDot(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    // u = 8·grid + 9 + sign at lookup index grid + 3·[sign +] (index 0xff: grid -1, sign -: 0)
    const __m512i levels = _mm512_broadcast_i32x4(_mm_setr_epi8(8, 16, 2, 10, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    __m512 acc = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kMBytes) {
        const Iq1mBlock blk = iq1mUnpack(w);
        const __m256i corr = _mm256_madd_epi16(load256(a[b].bsums), _mm256_mullo_epi16(blk.ls, _mm256_set1_epi16(9)));
        __m512i sum = _mm512_setzero_si512();
        _Pragma("GCC unroll 4") for (int m = 0; m < 4; ++m) {
            // bytes 2m (eight times), 2m + 1 (eight times); int16 m (eight times) of each lane, or
            // with VNNI int16 m into the low half of each 32-bit lane, the high half zero (index
            // 0x80 reads 0)
            const __m512i spreadM = _mm512_set_epi64((2 * m + 1) * kBytes8, 2 * m * kBytes8, (2 * m + 1) * kBytes8,
                                                     2 * m * kBytes8, (2 * m + 1) * kBytes8, 2 * m * kBytes8,
                                                     (2 * m + 1) * kBytes8, 2 * m * kBytes8);
            const __m512i pickM = kVnni ? _mm512_set1_epi32(int(0x80800000u | std::uint32_t(2 * m | (2 * m + 1) << 8)))
                                        : _mm512_set1_epi16(short(2 * m | (2 * m + 1) << 8));
            const __m512i shift = _mm512_shuffle_epi8(blk.shift, spreadM);
            const __m512i u = _mm512_shuffle_epi8(levels, _mm512_add_epi8(gridRows8(blk.quads + 2 * m), shift));
            if constexpr (kVnni) {
                const __m512i four = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, _mm512_loadu_si512(a[b].qs + 64 * m));
                sum = _mm512_dpwssd_epi32(sum, four, _mm512_shuffle_epi8(blk.scales, pickM));
            } else {
                const __m512i p = _mm512_maddubs_epi16(u, _mm512_loadu_si512(a[b].qs + 64 * m));
                sum = _mm512_add_epi32(sum, _mm512_madd_epi16(p, _mm512_shuffle_epi8(blk.scales, pickM)));
            }
        }
        const __m512i total = _mm512_sub_epi32(sum, _mm512_zextsi256_si512(corr));
        acc = _mm512_fmadd_ps(_mm512_set1_ps(blk.d * a[b].d * 0.125f), _mm512_cvtepi32_ps(total), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

}  // namespace
}  // namespace atelier::kernels
