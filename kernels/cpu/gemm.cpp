#include "atelier/kernels/gemm.h"

#include "atelier/kernels/gemv_ref.h"
#include "atelier/kernels/gemv_ref_ggml.h"
#include "atelier/kernels/kernel_table.h"
#include "cpu/decode_scalar.h"

namespace atelier::kernels {

std::size_t gemmScratchFloats(std::int64_t cols) {
    // The SIMD kernels decode a panel of 4 rows, each padded to 16 floats.
    return std::size_t(4 * ((cols + 15) / 16 * 16) + 16);
}

std::size_t weightRowBytes(WeightFormat format, std::int64_t cols) {
    switch (format) {
    case WeightFormat::F32: return std::size_t(cols) * 4;
    case WeightFormat::BF16:
    case WeightFormat::F16: return std::size_t(cols) * 2;
    case WeightFormat::Q8_0: return std::size_t(cols / 32 * detail::kQ8_0BlockBytes);
    case WeightFormat::E4M3: return std::size_t(cols);
    case WeightFormat::E2M1: return std::size_t(cols / 2);
    case WeightFormat::MXFP4: return std::size_t(cols / 32 * detail::kMxfp4BlockBytes);
    }
    return 0;
}

void gemm_scalar(const WeightMatrix& w, std::int64_t rowBegin, std::int64_t rowEnd,
                 const float* x, std::int64_t T, float* y, std::int64_t ldy, float* scratch) {
    const std::int64_t cols = w.cols;
    const auto* bytes = static_cast<const std::uint8_t*>(w.data);
    switch (w.format) {
    case WeightFormat::F32:
        gemm_f32_ref(static_cast<const float*>(w.data), cols, rowBegin, rowEnd, x, T, y, ldy);
        return;
    case WeightFormat::BF16:
        gemm_bf16_ref(static_cast<const std::uint16_t*>(w.data), cols, rowBegin, rowEnd, x, T, y,
                      ldy, scratch);
        return;
    case WeightFormat::F16:
        gemm_f16_ref(static_cast<const std::uint16_t*>(w.data), cols, rowBegin, rowEnd, x, T, y,
                     ldy, scratch);
        return;
    case WeightFormat::Q8_0:
        gemm_q8_0_ref(bytes, cols, rowBegin, rowEnd, x, T, y, ldy, scratch);
        return;
    case WeightFormat::E4M3:
        gemm_e4m3_ref(bytes, w.scale, cols, rowBegin, rowEnd, x, T, y, ldy, scratch);
        return;
    case WeightFormat::E2M1:
        gemm_e2m1_ref(bytes, w.scale, cols, rowBegin, rowEnd, x, T, y, ldy, scratch);
        return;
    case WeightFormat::MXFP4:
        gemm_mxfp4_ref(bytes, cols, rowBegin, rowEnd, x, T, y, ldy, scratch);
        return;
    }
}

void gemmAt(IsaLevel level, const WeightMatrix& w, std::int64_t rowBegin, std::int64_t rowEnd,
            const float* x, std::int64_t T, float* y, std::int64_t ldy, float* scratch) {
    cpuKernels(level).gemm(w, rowBegin, rowEnd, x, T, y, ldy, scratch);
}

void gemm(const WeightMatrix& w, std::int64_t rowBegin, std::int64_t rowEnd, const float* x,
          std::int64_t T, float* y, std::int64_t ldy, float* scratch) {
    cpuKernels().gemm(w, rowBegin, rowEnd, x, T, y, ldy, scratch);
}

}  // namespace atelier::kernels
