// AVX-512 (F + BW) dot products of the legacy blocks of 32 (Q4_0, Q4_1, Q5_0, Q5_1) with
// BlockQ8A activations: quant_legacy_avx512.inl with kVnni = false. Compiled with -mavx512f
// -mavx512bw -mavx512vl; only called when the CPU has them.

#include "atelier/kernels/gemm_quant.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include "cpu/quant_legacy_avx512.inl"

namespace atelier::kernels {
float dot_q4_0_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dotQ4_0<false>(w, a, nb); }
float dot_q5_0_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dotQ5_0<false>(w, a, nb); }
float dot_q4_1_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dotQ4_1<false>(w, a, nb); }
float dot_q5_1_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dotQ5_1<false>(w, a, nb); }
}  // namespace atelier::kernels

#else  // not built for AVX-512: never dispatched here, but the symbols must exist

namespace atelier::kernels {
float dot_q4_0_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_q4_0_q8a_ref(w, a, nb); }
float dot_q5_0_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_q5_0_q8a_ref(w, a, nb); }
float dot_q4_1_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_q4_1_q8a_ref(w, a, nb); }
float dot_q5_1_q8a_avx512(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) { return dot_q5_1_q8a_ref(w, a, nb); }
}  // namespace atelier::kernels

#endif
