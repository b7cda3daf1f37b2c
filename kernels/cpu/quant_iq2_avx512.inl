// The AVX-512 dot products of IQ2_XXS, IQ2_XS and IQ2_S rows with Q8_K activations, written once
// for two levels: kVnni = false is AVX-512 F + BW (quant_iq2_avx512.cpp), kVnni = true fuses the
// madd by the scale multipliers and the add into vpdpwssd (quant_iq2_avx512vnni.cpp, compiled
// with -mavx512vnni as well). The VNNI intrinsics stand only in `if constexpr (kVnni)` branches,
// which the build without -mavx512vnni never instantiates. Include only from those two files,
// after checking __AVX512F__ / __AVX512BW__. Same integer sums as quant_iq2_ref.cpp.
// The exported bodies are [[gnu::always_inline]], so that each function the .cpp exports is the
// body itself: compiled as a separate template instance g++ 12 allocates registers differently
// (IQ2_XXS at AVX-512 ran 1.6x slower).
//
// As the AVX2 bodies, two sub-blocks (64 elements) per instruction, except that the 64 sign bits
// of two sub-blocks are a mask register that negates the activations in one masked subtract.
// vpdpbusd does not fit these formats: it sums four u8 x s8 products straight into int32, so the
// per-16 or per-32 scales would then need an int32 multiply (vpmulld, two uops) per 64 elements,
// where maddubs + vpdpwssd is two single uops and stays exact.

#include <immintrin.h>

#include <cstddef>

#include "atelier/kernels/gemm_quant.h"
#include "cpu/iq_grids.h"
#include "cpu/quant_blocks_avx2.h"
#include "cpu/simd_avx2.h"
#include "cpu/simd_avx512.h"

namespace atelier::kernels {
namespace {

using avx2::f16;
using avx2::loadAs;

constexpr int kXxsBytes = 66, kXsBytes = 74, kSBytes = 82;
constexpr int kQs = 2, kXsScales = 66, kSSigns = 34, kSScales = 74;

// Four grid entries whose indices are packed in one word, kStride bits apart (one load for four
// indices, taken apart in registers).
template <int kStride, unsigned kMask>
[[gnu::always_inline]] inline __m256i gridPacked(const std::uint64_t* grid, std::uint64_t ix) {
    return avx2::gridQuad(grid, ix & kMask, (ix >> kStride) & kMask, (ix >> (2 * kStride)) & kMask,
                          (ix >> (3 * kStride)) & kMask);
}

// sum + grid · (±act) over 64 elements (sign bit i of `neg` negates activation i), pairs summed,
// times the int16 multipliers, in 16 x int32 (madd + add, or one vpdpwssd). maddubs cannot
// saturate: 2 * 43 * 127 < 32767.
template <bool kVnni>
[[gnu::always_inline]] inline __m512i pairDot(__m512i sum, __m512i grid, const std::int8_t* act, std::uint64_t neg,
                                              __m512i mul) {
    const __m512i signedAct = avx512::negateWhere(_mm512_loadu_si512(act), _cvtu64_mask64(neg));
    if constexpr (kVnni) return _mm512_dpwssd_epi32(sum, _mm512_maddubs_epi16(grid, signedAct), mul);
    else return _mm512_add_epi32(sum, _mm512_madd_epi16(_mm512_maddubs_epi16(grid, signedAct), mul));
}

// IQ2_XXS: sign bytes of the 32 groups into signs, and the multipliers 2ls + 1 of the 8
// sub-blocks (dword j, in both int16 halves), from the odd dwords of qs.
__m256i xxsSignsAndMuls(const std::uint8_t* qs, std::uint8_t signs[32]) {
    const __m512i aux = _mm512_maskz_compress_epi32(0xaaaa, _mm512_loadu_si512(qs));
    const __m256i x = _mm512_castsi512_si256(aux);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(signs), avx2::signBytes(x));
    return avx2::bothHalves(avx2::oddMultipliers(_mm256_srli_epi32(x, 28)));
}

// IQ2_XS: the sign bytes of the 32 groups (high 7 bits of each u16 of qs, plus parity).
void xsSigns(const std::uint8_t* qs, std::uint8_t signs[32]) {
    const __m512i s = _mm512_srli_epi16(_mm512_loadu_si512(qs), 9);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(signs), avx2::withParity(_mm512_cvtepi16_epi8(s)));
}

// IQ2_XS / IQ2_S: the multipliers 2s + 1 of the 16 half sub-blocks (16 elements each, in
// element order: low nibble of scales[j], then its high nibble), dword h in both int16 halves.
__m512i halfMuls(const std::uint8_t* scales) {
    const __m128i x = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(scales));
    const __m128i low4 = _mm_set1_epi8(15);
    const __m128i n = _mm_unpacklo_epi8(_mm_and_si128(x, low4), _mm_and_si128(_mm_srli_epi16(x, 4), low4));
    const __m512i m = _mm512_cvtepu8_epi32(_mm_or_si128(_mm_add_epi8(n, n), _mm_set1_epi8(1)));
    return _mm512_or_si512(m, _mm512_slli_epi32(m, 16));
}

// Multipliers of sub-blocks 2i and 2i+1: xxs: dword 2i + (lane / 8) of 8; halves: dword
// 4i + (lane / 4) of 16.
[[gnu::always_inline]] inline __m512i pairMulsXxs(__m256i muls, int i) {
    const __m512i idx = avx512::join(_mm256_set1_epi32(2 * i), _mm256_set1_epi32(2 * i + 1));
    return _mm512_permutexvar_epi32(idx, _mm512_castsi256_si512(muls));
}
[[gnu::always_inline]] inline __m512i pairMulsHalves(__m512i muls, int i) {
    const __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(4 * i),
                                         _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0));
    return _mm512_permutexvar_epi32(idx, muls);
}

template <bool kVnni>
[[gnu::always_inline]] inline float xxsDot(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    __m512 acc = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kXxsBytes) {
        alignas(32) std::uint8_t signs[32];
        const __m256i muls = xxsSignsAndMuls(w + kQs, signs);
        __m512i sumi[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
#pragma GCC unroll 4
        for (int i = 0; i < 4; ++i) {
            // indices: the first u32 of each sub-block's 8 bytes
            const std::uint8_t* q = w + kQs + 16 * i;
            const __m512i grid = avx512::join(gridPacked<8, 255>(iq::kIq2xxsGrid, loadAs<std::uint32_t>(q)),
                                              gridPacked<8, 255>(iq::kIq2xxsGrid, loadAs<std::uint32_t>(q + 8)));
            sumi[i & 1] = pairDot<kVnni>(sumi[i & 1], grid, a[b].qs + 64 * i, loadAs<std::uint64_t>(signs + 8 * i),
                                         pairMulsXxs(muls, i));
        }
        const __m512 sum = _mm512_cvtepi32_ps(_mm512_add_epi32(sumi[0], sumi[1]));
        acc = _mm512_fmadd_ps(_mm512_set1_ps(f16(w) * a[b].d), sum, acc);
    }
    return 0.125f * _mm512_reduce_add_ps(acc);
}

template <bool kVnni>
[[gnu::always_inline]] inline float xsDot(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    __m512 acc = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kXsBytes) {
        alignas(32) std::uint8_t signs[32];
        xsSigns(w + kQs, signs);
        const __m512i muls = halfMuls(w + kXsScales);
        __m512i sumi[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
#pragma GCC unroll 4
        for (int i = 0; i < 4; ++i) {
            const std::uint8_t* q = w + kQs + 16 * i;
            const __m512i grid = avx512::join(gridPacked<16, 511>(iq::kIq2xsGrid, loadAs<std::uint64_t>(q)),
                                              gridPacked<16, 511>(iq::kIq2xsGrid, loadAs<std::uint64_t>(q + 8)));
            sumi[i & 1] = pairDot<kVnni>(sumi[i & 1], grid, a[b].qs + 64 * i, loadAs<std::uint64_t>(signs + 8 * i),
                                         pairMulsHalves(muls, i));
        }
        const __m512 sum = _mm512_cvtepi32_ps(_mm512_add_epi32(sumi[0], sumi[1]));
        acc = _mm512_fmadd_ps(_mm512_set1_ps(f16(w) * a[b].d), sum, acc);
    }
    return 0.125f * _mm512_reduce_add_ps(acc);
}

template <bool kVnni>
[[gnu::always_inline]] inline float sDot(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    __m512 acc = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kSBytes) {
        const __m512i muls = halfMuls(w + kSScales);
        __m512i sumi[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
#pragma GCC unroll 4
        for (int i = 0; i < 4; ++i)
            sumi[i & 1] = pairDot<kVnni>(sumi[i & 1],
                                         avx512::join(avx2::iq2sGrid(w, 2 * i), avx2::iq2sGrid(w, 2 * i + 1)),
                                         a[b].qs + 64 * i, loadAs<std::uint64_t>(w + kSSigns + 8 * i),
                                         pairMulsHalves(muls, i));
        const __m512 sum = _mm512_cvtepi32_ps(_mm512_add_epi32(sumi[0], sumi[1]));
        acc = _mm512_fmadd_ps(_mm512_set1_ps(f16(w) * a[b].d), sum, acc);
    }
    return 0.125f * _mm512_reduce_add_ps(acc);
}

}  // namespace
}  // namespace atelier::kernels
