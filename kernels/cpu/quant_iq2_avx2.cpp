// AVX2 dot products of IQ2_XXS, IQ2_XS and IQ2_S rows with Q8_K activations (compiled with -mavx2
// -mfma -mf16c; only called when the CPU has them). Same integer sums as quant_iq2_ref.cpp.
//
// Per sub-block of 32: the four grid entries are gathered into one register (broadcast loads and
// blends, no shuffle port), the 32 sign bits are spread to byte masks that negate the
// activations, then maddubs(grid, ±activation) and madd by the scale multipliers 2s + 1. The sign
// bytes and multipliers of a whole super-block are prepared once, in registers, before its loop.

#include "atelier/kernels/gemm_quant.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include <type_traits>
#include <utility>

#include "cpu/iq_grids.h"
#include "cpu/quant_blocks_avx2.h"
#include "cpu/simd_avx2.h"

namespace atelier::kernels {
namespace {

constexpr int kXxsBytes = 66, kXsBytes = 74, kSBytes = 82;
constexpr int kQs = 2, kXsScales = 66, kSSigns = 34, kSScales = 74;

using avx2::f16;
using avx2::gridQuad;
using avx2::hsum;
using avx2::loadAs;

// Byte masks, 0xff where the element is negative, of the four groups whose sign bytes (bit i for
// element i) are at signs4 (IQ2_S stores all eight signs).
[[gnu::always_inline]] inline __m256i signMask(const std::uint8_t* signs4) {
    return avx2::byteMaskOfBits(_mm256_set1_epi32(int(loadAs<std::uint32_t>(signs4))));
}

// grid · (±act) over 32 elements, pairs of products summed, times the int16 multipliers `mul`
// -> 8 x int32, added to sum. maddubs cannot saturate: 2 * 43 * 127 < 32767.
[[gnu::always_inline]] inline __m256i subBlockDot(__m256i sum, __m256i grid, const std::int8_t* act, __m256i neg,
                                                  __m256i mul) {
    const __m256i a = avx2::negateWhere(avx2::load256(act), neg);
    return _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(grid, a), mul));
}

// 128-bit lane `lane` of v in both lanes.
__m256i bothLanes(__m256i v, int lane) {
    return lane ? _mm256_permute2x128_si256(v, v, 0x11) : _mm256_permute2x128_si256(v, v, 0x00);
}

// IQ2_XXS: the eight aux words (odd dwords of qs) in sub-block order.
__m256i xxsAux(const std::uint8_t* qs) {
    const __m256 lo = _mm256_castsi256_ps(avx2::load256(qs)), hi = _mm256_castsi256_ps(avx2::load256(qs + 32));
    // odd dwords: [aux0 aux1 aux4 aux5 | aux2 aux3 aux6 aux7] -> sub-block order
    return _mm256_permute4x64_epi64(_mm256_castps_si256(_mm256_shuffle_ps(lo, hi, 0xdd)), 0xd8);
}

// IQ2_XS: the sign bytes of the 32 groups (high 7 bits of each u16 of qs, plus parity).
__m256i xsSigns(const std::uint8_t* qs) {
    const __m256i s0 = _mm256_srli_epi16(avx2::load256(qs), 9), s1 = _mm256_srli_epi16(avx2::load256(qs + 32), 9);
    // packus interleaves the 128-bit lanes: [0-7 16-23 | 8-15 24-31] -> group order
    return avx2::withParity(_mm256_permute4x64_epi64(_mm256_packus_epi16(s0, s1), 0xd8));
}

// IQ2_XS / IQ2_S: multipliers of sub-blocks 4h..4h+3 (h = 0, 1): dword j % 4 of the low lane
// for the first 16 elements of sub-block j (low nibble of scales[j]), of the high lane for the
// last 16 (high nibble).
void halfMuls(const std::uint8_t* scales, __m256i muls[2]) {
    const __m128i x = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(scales));
    const __m128i low4 = _mm_set1_epi8(15), one = _mm_set1_epi8(1);
    const __m128i lo = _mm_and_si128(x, low4), hi = _mm_and_si128(_mm_srli_epi16(x, 4), low4);
    const __m256i mlo = avx2::bothHalves(_mm256_cvtepu8_epi32(_mm_or_si128(_mm_add_epi8(lo, lo), one)));
    const __m256i mhi = avx2::bothHalves(_mm256_cvtepu8_epi32(_mm_or_si128(_mm_add_epi8(hi, hi), one)));
    muls[0] = _mm256_permute2x128_si256(mlo, mhi, 0x20);
    muls[1] = _mm256_permute2x128_si256(mlo, mhi, 0x31);
}

// Sub-block J's multipliers: dword J % 4 of each lane of muls[J / 4].
template <int J>
[[gnu::always_inline]] inline __m256i pickMul(const __m256i muls[2]) {
    return _mm256_shuffle_epi32(muls[J / 4], (J % 4) * 0x55);
}

// Calls body(integral_constant<int, J>) for J = 0..7: the sub-block index as a constant, for the
// immediates of the shuffles above.
template <class Body>
[[gnu::always_inline]] inline void forSubBlocks(Body&& body) {
    [&]<int... J>(std::integer_sequence<int, J...>) {
        (body(std::integral_constant<int, J>{}), ...);
    }(std::make_integer_sequence<int, 8>{});
}

}  // namespace

float dot_iq2_xxs_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kXxsBytes) {
        const __m256i aux = xxsAux(w + kQs), signs = avx2::signBytes(aux);
        const __m256i m = avx2::bothHalves(avx2::oddMultipliers(_mm256_srli_epi32(aux, 28)));
        // the sign bytes of sub-blocks 4h..4h+3 in both lanes of quarters[h], for the byte shuffle
        const __m256i quarters[2] = {bothLanes(signs, 0), bothLanes(signs, 1)};
        const __m256i muls[2] = {bothLanes(m, 0), bothLanes(m, 1)};  // dword j % 4 = sub-block j's
        __m256i sumi[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
        forSubBlocks([&](auto j) {
            const std::uint8_t* ix = w + kQs + 8 * j;
            const __m256i grid = gridQuad(iq::kIq2xxsGrid, ix[0], ix[1], ix[2], ix[3]);
            sumi[j & 1] = subBlockDot(sumi[j & 1], grid, a[b].qs + 32 * j, avx2::byteMaskOfBits<j>(quarters[j / 4]),
                                      pickMul<j>(muls));
        });
        const __m256 scale = _mm256_set1_ps(f16(w) * a[b].d);
        acc = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(_mm256_add_epi32(sumi[0], sumi[1])), acc);
    }
    return 0.125f * hsum(acc);
}

float dot_iq2_xs_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kXsBytes) {
        const __m256i signs = xsSigns(w + kQs);
        const __m256i quarters[2] = {bothLanes(signs, 0), bothLanes(signs, 1)};
        __m256i muls[2];
        halfMuls(w + kXsScales, muls);
        __m256i sumi[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
        forSubBlocks([&](auto j) {
            const std::uint8_t* q = w + kQs + 8 * j;
            const __m256i grid = gridQuad(iq::kIq2xsGrid, loadAs<std::uint16_t>(q) & 511u,
                                          loadAs<std::uint16_t>(q + 2) & 511u, loadAs<std::uint16_t>(q + 4) & 511u,
                                          loadAs<std::uint16_t>(q + 6) & 511u);
            sumi[j & 1] = subBlockDot(sumi[j & 1], grid, a[b].qs + 32 * j, avx2::byteMaskOfBits<j>(quarters[j / 4]),
                                      pickMul<j>(muls));
        });
        const __m256 scale = _mm256_set1_ps(f16(w) * a[b].d);
        acc = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(_mm256_add_epi32(sumi[0], sumi[1])), acc);
    }
    return 0.125f * hsum(acc);
}

float dot_iq2_s_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kSBytes) {
        __m256i muls[2];
        halfMuls(w + kSScales, muls);
        __m256i sumi[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
        forSubBlocks([&](auto j) {
            const __m256i grid = avx2::iq2sGrid(w, j);
            sumi[j & 1] = subBlockDot(sumi[j & 1], grid, a[b].qs + 32 * j, signMask(w + kSSigns + 4 * j),
                                      pickMul<j>(muls));
        });
        const __m256 scale = _mm256_set1_ps(f16(w) * a[b].d);
        acc = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(_mm256_add_epi32(sumi[0], sumi[1])), acc);
    }
    return 0.125f * hsum(acc);
}

}  // namespace atelier::kernels

#else  // not built for x86 AVX2: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_iq2_xxs_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq2_xxs_q8_k_ref(w, a, nb); }
float dot_iq2_xs_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq2_xs_q8_k_ref(w, a, nb); }
float dot_iq2_s_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq2_s_q8_k_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
