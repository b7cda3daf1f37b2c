// AVX-VNNI K-quant x Q8_K products: gemm_kquant_avx2.inl compiled with -mavxvnni on top of the
// AVX2 flags, for CPUs that have the 256-bit VNNI instructions without AVX-512 (only called when
// cpuFeatures().avxvnni). vpdpbusd + vpdpwssd per 32 codes where the AVX2 body spends vpmaddubsw,
// vpmaddwd and vpaddd; the same integer sums, so every result is the AVX2 body's bits.

#include "atelier/kernels/gemm_kquant.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__AVXVNNI__)
#include "cpu/gemm_kquant_avx2.inl"

namespace atelier::kernels {

void dots_q4_k_q8_k_avxvnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T, float* y,
                            std::int64_t ldy) {
    rowTimesTokens<Q4K>(w, a, nb, T, y, ldy);
}
void dots_q5_k_q8_k_avxvnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T, float* y,
                            std::int64_t ldy) {
    rowTimesTokens<Q5K>(w, a, nb, T, y, ldy);
}
void dots_q6_k_q8_k_avxvnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T, float* y,
                            std::int64_t ldy) {
    rowTimesTokens<Q6K>(w, a, nb, T, y, ldy);
}
void dots_q2_k_q8_k_avxvnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T, float* y,
                            std::int64_t ldy) {
    rowTimesTokens<Q2K>(w, a, nb, T, y, ldy);
}

}  // namespace atelier::kernels

#else  // not built for AVX-VNNI: never dispatched here, but the symbols must exist

namespace atelier::kernels {
void dots_q4_k_q8_k_avxvnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T, float* y,
                            std::int64_t ldy) {
    dots_q4_k_q8_k_avx2(w, a, nb, T, y, ldy);
}
void dots_q5_k_q8_k_avxvnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T, float* y,
                            std::int64_t ldy) {
    dots_q5_k_q8_k_avx2(w, a, nb, T, y, ldy);
}
void dots_q6_k_q8_k_avxvnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T, float* y,
                            std::int64_t ldy) {
    dots_q6_k_q8_k_avx2(w, a, nb, T, y, ldy);
}
void dots_q2_k_q8_k_avxvnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb, std::int64_t T, float* y,
                            std::int64_t ldy) {
    dots_q2_k_q8_k_avx2(w, a, nb, T, y, ldy);
}
}  // namespace atelier::kernels

#endif
