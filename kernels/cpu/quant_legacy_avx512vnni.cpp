// AVX-512 VNNI dot products of the legacy blocks of 32 (Q4_0, Q4_1, Q5_0, Q5_1) with BlockQ8A
// activations: quant_legacy_avx512.inl with kVnni = true. Compiled with -mavx512vnni on top of
// the AVX-512 flags; only called when the CPU has VNNI.

#include "atelier/kernels/gemm_quant.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#include "cpu/quant_legacy_avx512.inl"

namespace atelier::kernels {
float dot_q4_0_q8a_avx512vnni(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dotQ4_0<true>(w, a, nb); }
float dot_q5_0_q8a_avx512vnni(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dotQ5_0<true>(w, a, nb); }
float dot_q4_1_q8a_avx512vnni(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dotQ4_1<true>(w, a, nb); }
float dot_q5_1_q8a_avx512vnni(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dotQ5_1<true>(w, a, nb); }
}  // namespace atelier::kernels

#else  // not built for AVX-512 VNNI: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_q4_0_q8a_avx512vnni(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_q4_0_q8a_ref(w, a, nb); }
float dot_q5_0_q8a_avx512vnni(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_q5_0_q8a_ref(w, a, nb); }
float dot_q4_1_q8a_avx512vnni(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_q4_1_q8a_ref(w, a, nb); }
float dot_q5_1_q8a_avx512vnni(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_q5_1_q8a_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
