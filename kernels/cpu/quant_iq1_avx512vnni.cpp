// AVX-512 VNNI IQ1_S / IQ1_M x Q8_K dot products: quant_iq1_avx512.inl with kVnni = true.
// Compiled with -mavx512vnni on top of the AVX-512 flags; only called when the CPU has VNNI.

#include "atelier/kernels/gemm_quant.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#include "cpu/quant_iq1_avx512.inl"

namespace atelier::kernels {
float dot_iq1_s_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return iq1sDot<true>(w, a, nb); }
float dot_iq1_m_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return iq1mDot<true>(w, a, nb); }
}  // namespace atelier::kernels

#else  // not built for AVX-512 VNNI: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_iq1_s_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq1_s_q8_k_ref(w, a, nb); }
float dot_iq1_m_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_iq1_m_q8_k_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
