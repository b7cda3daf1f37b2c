// AVX2 + FMA K-quant x Q8_K dot products (compiled with -mavx2 -mfma -mf16c; only called when
// the CPU has them; the bodies are gemm_kquant_avx2.inl). Same integer sums as the _ref
// versions, so results differ from them only by the order of float additions.

#include "atelier/kernels/gemm_kquant.h"
#include "cpu/kquant_blocks.h"

#if defined(__AVX2__) && defined(__FMA__)
#include "cpu/gemm_kquant_avx2.inl"
#include "cpu/round_avx2.h"

namespace atelier::kernels {
namespace {
std::int32_t hsumInt(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
    return _mm_cvtsi128_si32(s);
}
}  // namespace

void quantize_row_q8_k_avx2(const float* x, std::int64_t n, BlockQ8K* out) {
    for (std::int64_t b = 0; b < n / kQK_K; ++b) {
        const float* v = x + b * kQK_K;
        const float amax = avx2::absMax(v, kQK_K);
        BlockQ8K& o = out[b];
        o.d = amax / 127.0f;
        avx2::roundToInt8(v, kQK_K, amax > 0.0f ? 127.0f / amax : 0.0f, o.qs);
        for (int g = 0; g < kQK_K / 16; ++g) {
            const __m256i q16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(o.qs + 16 * g)));
            o.bsums[g] = std::int16_t(hsumInt(_mm256_madd_epi16(q16, _mm256_set1_epi16(1))));
        }
    }
}

float dot_q4_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    float y;
    rowTokens<Q4K, 1>(w, a, nb, nb, &y, 1);
    return y;
}

void dots_q4_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb,
                         std::int64_t T, float* y, std::int64_t ldy) {
    rowTimesTokens<Q4K>(w, a, nb, T, y, ldy);
}

void rows_q4_k_q8_k_avx2(const std::uint8_t* w, std::int64_t rows, const BlockQ8K* a, std::int64_t nb,
                         float* y) {
    rowsTimesToken<Q4K>(w, rows, a, nb, y);
}

float dot_q5_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    float y;
    rowTokens<Q5K, 1>(w, a, nb, nb, &y, 1);
    return y;
}

void dots_q5_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb,
                         std::int64_t T, float* y, std::int64_t ldy) {
    rowTimesTokens<Q5K>(w, a, nb, T, y, ldy);
}

void rows_q5_k_q8_k_avx2(const std::uint8_t* w, std::int64_t rows, const BlockQ8K* a, std::int64_t nb,
                         float* y) {
    rowsTimesToken<Q5K>(w, rows, a, nb, y);
}

float dot_q6_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    float y;
    rowTokens<Q6K, 1>(w, a, nb, nb, &y, 1);
    return y;
}

void dots_q6_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb,
                         std::int64_t T, float* y, std::int64_t ldy) {
    rowTimesTokens<Q6K>(w, a, nb, T, y, ldy);
}

void rows_q6_k_q8_k_avx2(const std::uint8_t* w, std::int64_t rows, const BlockQ8K* a, std::int64_t nb,
                         float* y) {
    rowsTimesToken<Q6K>(w, rows, a, nb, y);
}

float dot_q2_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    float y;
    rowTokens<Q2K, 1>(w, a, nb, nb, &y, 1);
    return y;
}

void dots_q2_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb,
                         std::int64_t T, float* y, std::int64_t ldy) {
    rowTimesTokens<Q2K>(w, a, nb, T, y, ldy);
}

void rows_q2_k_q8_k_avx2(const std::uint8_t* w, std::int64_t rows, const BlockQ8K* a, std::int64_t nb,
                         float* y) {
    rowsTimesToken<Q2K>(w, rows, a, nb, y);
}

}  // namespace atelier::kernels

#else  // not built for x86 AVX2: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_q4_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_q4_k_q8_k_ref(w, a, nb); }
float dot_q6_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_q6_k_q8_k_ref(w, a, nb); }
float dot_q2_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_q2_k_q8_k_ref(w, a, nb); }
void dots_q4_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T,
                         float* y, std::int64_t ldy) {
    for (std::int64_t t = 0; t < T; ++t) y[t * ldy] = dot_q4_k_q8_k_ref(w, a + t * nb, nb);
}
float dot_q5_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_q5_k_q8_k_ref(w, a, nb); }
void quantize_row_q8_k_avx2(const float* x, std::int64_t n, BlockQ8K* out) { quantize_row_q8_k_ref(x, n, out); }
void dots_q5_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T,
                         float* y, std::int64_t ldy) {
    for (std::int64_t t = 0; t < T; ++t) y[t * ldy] = dot_q5_k_q8_k_ref(w, a + t * nb, nb);
}
void dots_q6_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T,
                         float* y, std::int64_t ldy) {
    for (std::int64_t t = 0; t < T; ++t) y[t * ldy] = dot_q6_k_q8_k_ref(w, a + t * nb, nb);
}
void dots_q2_k_q8_k_avx2(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T,
                         float* y, std::int64_t ldy) {
    for (std::int64_t t = 0; t < T; ++t) y[t * ldy] = dot_q2_k_q8_k_ref(w, a + t * nb, nb);
}
void rows_q4_k_q8_k_avx2(const std::uint8_t* w, std::int64_t rows, const BlockQ8K* a, std::int64_t nb,
                         float* y) {
    for (std::int64_t r = 0; r < rows; ++r) y[r] = dot_q4_k_q8_k_ref(w + r * nb * kq::kQ4KBytes, a, nb);
}
void rows_q5_k_q8_k_avx2(const std::uint8_t* w, std::int64_t rows, const BlockQ8K* a, std::int64_t nb,
                         float* y) {
    for (std::int64_t r = 0; r < rows; ++r) y[r] = dot_q5_k_q8_k_ref(w + r * nb * kq::kQ5KBytes, a, nb);
}
void rows_q6_k_q8_k_avx2(const std::uint8_t* w, std::int64_t rows, const BlockQ8K* a, std::int64_t nb,
                         float* y) {
    for (std::int64_t r = 0; r < rows; ++r) y[r] = dot_q6_k_q8_k_ref(w + r * nb * kq::kQ6KBytes, a, nb);
}
void rows_q2_k_q8_k_avx2(const std::uint8_t* w, std::int64_t rows, const BlockQ8K* a, std::int64_t nb,
                         float* y) {
    for (std::int64_t r = 0; r < rows; ++r) y[r] = dot_q2_k_q8_k_ref(w + r * nb * kq::kQ2KBytes, a, nb);
}
}  // namespace atelier::kernels

#endif
