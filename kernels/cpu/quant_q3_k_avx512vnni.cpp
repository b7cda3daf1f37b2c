// AVX-512 VNNI Q3_K x Q8_K dot product: quant_q3_k_avx512.inl with kVnni = true. Compiled with
// -mavx512vnni on top of the AVX-512 flags; only called when the CPU has VNNI.

#include "atelier/kernels/gemm_quant.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#include "cpu/quant_q3_k_avx512.inl"

namespace atelier::kernels {
float dot_q3_k_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return q3kDot<true>(w, a, nb); }
}  // namespace atelier::kernels

#else  // not built for AVX-512 VNNI: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_q3_k_q8_k_avx512vnni(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) { return dot_q3_k_q8_k_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
