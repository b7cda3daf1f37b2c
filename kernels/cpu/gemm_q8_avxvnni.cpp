// AVX-VNNI Q8_0 and MXFP4 x int8-activation kernels: gemm_q8_avx2.inl compiled with -mavxvnni on
// top of the AVX2 flags (only called when cpuFeatures().avxvnni). One vpdpbusd per block and
// token where the AVX2 tiles spend vpmaddubsw and vpmaddwd; the same sums, so the same bits.

#include "atelier/kernels/gemm_q8.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__) && defined(__AVXVNNI__)
#include "cpu/gemm_q8_avx2.inl"

namespace atelier::kernels {

void gemm_q8_0_q8a_avxvnni(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                           std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                           std::int64_t ldy) {
    gemmBlocks<Q8_0Blocks>(w, cols, rowBegin, rowEnd, xq, T, y, ldy);
}

void gemm_mxfp4_q8a_avxvnni(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                            std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                            std::int64_t ldy) {
    gemmBlocks<Mxfp4Blocks>(w, cols, rowBegin, rowEnd, xq, T, y, ldy);
}

}  // namespace atelier::kernels

#else  // not built for AVX-VNNI: never dispatched here, but the symbols must exist

namespace atelier::kernels {
void gemm_q8_0_q8a_avxvnni(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                           std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                           std::int64_t ldy) {
    gemm_q8_0_q8a_avx2(w, cols, rowBegin, rowEnd, xq, T, y, ldy);
}
void gemm_mxfp4_q8a_avxvnni(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                            std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                            std::int64_t ldy) {
    gemm_mxfp4_q8a_avx2(w, cols, rowBegin, rowEnd, xq, T, y, ldy);
}
}  // namespace atelier::kernels

#endif
