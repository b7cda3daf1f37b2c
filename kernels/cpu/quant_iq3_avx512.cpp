// AVX-512 (F + BW) IQ3_XXS and IQ3_S x Q8_K dot products: quant_iq3_avx512.inl with kVnni =
// false. Compiled with -mavx512f -mavx512bw -mavx512vl; only called when the CPU has them.

#include "atelier/kernels/gemm_quant.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include "cpu/quant_iq3_avx512.inl"

namespace atelier::kernels {
float dot_iq3_xxs_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return xxsDot<false>(w, a, nb); }
float dot_iq3_s_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return sDot<false>(w, a, nb); }
}  // namespace atelier::kernels

#else  // not built for AVX-512: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_iq3_xxs_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq3_xxs_q8_k_ref(w, a, nb); }
float dot_iq3_s_q8_k_avx512(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq3_s_q8_k_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
