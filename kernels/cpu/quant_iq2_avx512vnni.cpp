// AVX-512 VNNI dot products of IQ2_XXS, IQ2_XS and IQ2_S rows with Q8_K activations:
// quant_iq2_avx512.inl with kVnni = true. Compiled with -mavx512vnni on top of the AVX-512
// flags; only called when the CPU has VNNI.

#include "atelier/kernels/gemm_quant.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#include "cpu/quant_iq2_avx512.inl"

namespace atelier::kernels {
float dot_iq2_xxs_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return xxsDot<true>(w, a, nb); }
float dot_iq2_xs_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return xsDot<true>(w, a, nb); }
float dot_iq2_s_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return sDot<true>(w, a, nb); }
}  // namespace atelier::kernels

#else  // not built for AVX-512 VNNI: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_iq2_xxs_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq2_xxs_q8_k_ref(w, a, nb); }
float dot_iq2_xs_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq2_xs_q8_k_ref(w, a, nb); }
float dot_iq2_s_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq2_s_q8_k_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
