// AVX-512 (F + BW) dot products of IQ2_XXS, IQ2_XS and IQ2_S rows with Q8_K activations: two
// sub-blocks (64 elements) per instruction (compiled with -mavx512f -mavx512bw -mavx512vl; only
// called when the CPU has them). Same integer sums as quant_iq2_ref.cpp.
//
// As the AVX2 bodies, except that the 64 sign bits of two sub-blocks are a mask register that
// negates the activations in one masked subtract. quant_iq2_avx512vnni.cpp repeats this with
// vpdpwssd in place of madd + add.

#include "atelier/kernels/gemm_quant.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>

#include <cstring>

#include "cpu/iq_grids.h"

// g++ 12 flags the deliberately undefined upper lanes inside its own insert/extract intrinsics.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace atelier::kernels {
namespace {

constexpr int kXxsBytes = 66, kXsBytes = 74, kSBytes = 82;
constexpr int kQs = 2, kXsScales = 66, kSSigns = 34, kSQh = 66, kSScales = 74;

template <class T>
T loadAs(const std::uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

float f16(const std::uint8_t* p) { return _cvtsh_ss(loadAs<std::uint16_t>(p)); }  // exact

// Grid entries a, b, c, d as 32 bytes (a in bytes 0..7): broadcast loads and blends.
[[gnu::always_inline]] inline __m256i gridQuad(const std::uint64_t* grid, std::size_t a, std::size_t b,
                                               std::size_t c, std::size_t d) {
    const __m256i ab = _mm256_blend_epi32(_mm256_set1_epi64x(std::int64_t(grid[a])),
                                          _mm256_set1_epi64x(std::int64_t(grid[b])), 0x0c);
    const __m256i cd = _mm256_blend_epi32(_mm256_set1_epi64x(std::int64_t(grid[c])),
                                          _mm256_set1_epi64x(std::int64_t(grid[d])), 0xc0);
    return _mm256_blend_epi32(ab, cd, 0xf0);
}

// The grid entries of sub-blocks 2i and 2i+1 as 64 bytes.
[[gnu::always_inline]] inline __m512i gridPair(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// Four grid entries whose indices are packed in one word, kStride bits apart (one load for four
// indices, taken apart in registers).
template <int kStride, unsigned kMask>
[[gnu::always_inline]] inline __m256i gridPacked(const std::uint64_t* grid, std::uint64_t ix) {
    return gridQuad(grid, ix & kMask, (ix >> kStride) & kMask, (ix >> (2 * kStride)) & kMask,
                    (ix >> (3 * kStride)) & kMask);
}

// IQ2_S: the grid entries of sub-block j: index of group i = qs byte | bits 2i..2i+1 of the
// sub-block's qh byte, at bits 8..9.
[[gnu::always_inline]] inline __m256i sGrid(const std::uint8_t* blk, int j) {
    const std::uint32_t q = loadAs<std::uint32_t>(blk + kQs + 4 * j), h = blk[kSQh + j];
    return gridQuad(iq::kIq2sGrid, (q & 255) | ((h << 8) & 0x300), ((q >> 8) & 255) | ((h << 6) & 0x300),
                    ((q >> 16) & 255) | ((h << 4) & 0x300), (q >> 24) | ((h << 2) & 0x300));
}

// grid · (±act) over 64 elements (sign bit i of `neg` negates activation i), pairs summed, times
// the int16 multipliers -> 16 x int32, added to sum. maddubs cannot saturate: 2 * 43 * 127 < 32767.
[[gnu::always_inline]] inline __m512i pairDot(__m512i sum, __m512i grid, const std::int8_t* act, std::uint64_t neg,
                                              __m512i mul) {
    const __m512i a = _mm512_loadu_si512(act);
    const __m512i signedAct = _mm512_mask_sub_epi8(a, _cvtu64_mask64(neg), _mm512_setzero_si512(), a);
    return _mm512_add_epi32(sum, _mm512_madd_epi16(_mm512_maddubs_epi16(grid, signedAct), mul));
}

// Bit 7 of each byte := parity of its bits 0..6 (signs8()); the shifts leak into a byte only
// above bit 0, which is masked off.
__m256i withParity(__m256i b) {
    __m256i p = _mm256_xor_si256(b, _mm256_srli_epi32(b, 4));
    p = _mm256_xor_si256(p, _mm256_srli_epi32(p, 2));
    p = _mm256_xor_si256(p, _mm256_srli_epi32(p, 1));
    return _mm256_or_si256(b, _mm256_slli_epi32(_mm256_and_si256(p, _mm256_set1_epi8(1)), 7));
}

// IQ2_XXS: sign bytes of the 32 groups into signs, and the multipliers 2ls + 1 of the 8
// sub-blocks (dword j, in both int16 halves), from the odd dwords of qs.
__m256i xxsSignsAndMuls(const std::uint8_t* qs, std::uint8_t signs[32]) {
    const __m512i aux = _mm512_maskz_compress_epi32(0xaaaa, _mm512_loadu_si512(qs));
    const __m256i x = _mm512_castsi512_si256(aux);
    const __m256i m7 = _mm256_set1_epi32(0x7f);
    __m256i b = _mm256_and_si256(x, m7);  // the 7-bit fields 7i..7i+6 to byte i
    b = _mm256_or_si256(b, _mm256_and_si256(_mm256_slli_epi32(x, 1), _mm256_slli_epi32(m7, 8)));
    b = _mm256_or_si256(b, _mm256_and_si256(_mm256_slli_epi32(x, 2), _mm256_slli_epi32(m7, 16)));
    b = _mm256_or_si256(b, _mm256_and_si256(_mm256_slli_epi32(x, 3), _mm256_slli_epi32(m7, 24)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(signs), withParity(b));
    const __m256i ls = _mm256_srli_epi32(x, 28);
    const __m256i m = _mm256_or_si256(_mm256_slli_epi32(ls, 1), _mm256_set1_epi32(1));
    return _mm256_or_si256(m, _mm256_slli_epi32(m, 16));
}

// IQ2_XS: the sign bytes of the 32 groups (high 7 bits of each u16 of qs, plus parity).
void xsSigns(const std::uint8_t* qs, std::uint8_t signs[32]) {
    const __m512i s = _mm512_srli_epi16(_mm512_loadu_si512(qs), 9);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(signs), withParity(_mm512_cvtepi16_epi8(s)));
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
    const __m512i idx = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi32(2 * i)),
                                           _mm256_set1_epi32(2 * i + 1), 1);
    return _mm512_permutexvar_epi32(idx, _mm512_castsi256_si512(muls));
}
[[gnu::always_inline]] inline __m512i pairMulsHalves(__m512i muls, int i) {
    const __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(4 * i),
                                         _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0));
    return _mm512_permutexvar_epi32(idx, muls);
}

}  // namespace

float dot_iq2_xxs_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    __m512 acc = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kXxsBytes) {
        alignas(32) std::uint8_t signs[32];
        const __m256i muls = xxsSignsAndMuls(w + kQs, signs);
        __m512i sumi[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
#pragma GCC unroll 4
        for (int i = 0; i < 4; ++i) {
            // indices: the first u32 of each sub-block's 8 bytes
            const std::uint8_t* q = w + kQs + 16 * i;
            const __m512i grid = gridPair(gridPacked<8, 255>(iq::kIq2xxsGrid, loadAs<std::uint32_t>(q)),
                                          gridPacked<8, 255>(iq::kIq2xxsGrid, loadAs<std::uint32_t>(q + 8)));
            sumi[i & 1] = pairDot(sumi[i & 1], grid, a[b].qs + 64 * i,
                                  loadAs<std::uint64_t>(signs + 8 * i), pairMulsXxs(muls, i));
        }
        const __m512 sum = _mm512_cvtepi32_ps(_mm512_add_epi32(sumi[0], sumi[1]));
        acc = _mm512_fmadd_ps(_mm512_set1_ps(f16(w) * a[b].d), sum, acc);
    }
    return 0.125f * _mm512_reduce_add_ps(acc);
}

float dot_iq2_xs_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    __m512 acc = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kXsBytes) {
        alignas(32) std::uint8_t signs[32];
        xsSigns(w + kQs, signs);
        const __m512i muls = halfMuls(w + kXsScales);
        __m512i sumi[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
#pragma GCC unroll 4
        for (int i = 0; i < 4; ++i) {
            const std::uint8_t* q = w + kQs + 16 * i;
            const __m512i grid = gridPair(gridPacked<16, 511>(iq::kIq2xsGrid, loadAs<std::uint64_t>(q)),
                                          gridPacked<16, 511>(iq::kIq2xsGrid, loadAs<std::uint64_t>(q + 8)));
            sumi[i & 1] = pairDot(sumi[i & 1], grid, a[b].qs + 64 * i,
                                  loadAs<std::uint64_t>(signs + 8 * i), pairMulsHalves(muls, i));
        }
        const __m512 sum = _mm512_cvtepi32_ps(_mm512_add_epi32(sumi[0], sumi[1]));
        acc = _mm512_fmadd_ps(_mm512_set1_ps(f16(w) * a[b].d), sum, acc);
    }
    return 0.125f * _mm512_reduce_add_ps(acc);
}

float dot_iq2_s_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    __m512 acc = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b, w += kSBytes) {
        const __m512i muls = halfMuls(w + kSScales);
        __m512i sumi[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
#pragma GCC unroll 4
        for (int i = 0; i < 4; ++i)
            sumi[i & 1] = pairDot(sumi[i & 1], gridPair(sGrid(w, 2 * i), sGrid(w, 2 * i + 1)),
                                  a[b].qs + 64 * i, loadAs<std::uint64_t>(w + kSSigns + 8 * i),
                                  pairMulsHalves(muls, i));
        const __m512 sum = _mm512_cvtepi32_ps(_mm512_add_epi32(sumi[0], sumi[1]));
        acc = _mm512_fmadd_ps(_mm512_set1_ps(f16(w) * a[b].d), sum, acc);
    }
    return 0.125f * _mm512_reduce_add_ps(acc);
}

}  // namespace atelier::kernels

#else  // not built for AVX-512: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_iq2_xxs_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq2_xxs_q8_k_ref(w, a, nb); }
float dot_iq2_xs_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq2_xs_q8_k_ref(w, a, nb); }
float dot_iq2_s_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq2_s_q8_k_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
