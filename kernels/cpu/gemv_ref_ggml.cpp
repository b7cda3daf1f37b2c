#include "atelier/kernels/gemv_ref_ggml.h"

#include "atelier/kernels/gemv_ref.h"
#include "cpu/decode_scalar.h"

namespace atelier::kernels {
namespace {

void dotBatch(const float* row, std::int64_t cols, const float* x, std::int64_t T, float* y,
              std::int64_t ldy) {
    for (std::int64_t t = 0; t < T; ++t) y[t * ldy] = dot_f32_ref(row, x + t * cols, cols);
}

}  // namespace

void gemm_f16_ref(const std::uint16_t* w, std::int64_t cols, std::int64_t rowBegin,
                  std::int64_t rowEnd, const float* x, std::int64_t T, float* y,
                  std::int64_t ldy, float* rowScratch) {
    for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
        const std::uint16_t* p = w + r * cols;
        for (std::int64_t i = 0; i < cols; ++i) rowScratch[i] = detail::f16Value(detail::loadU16(p + i));
        dotBatch(rowScratch, cols, x, T, y + (r - rowBegin), ldy);
    }
}

void gemm_q8_0_ref(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                   std::int64_t rowEnd, const float* x, std::int64_t T, float* y,
                   std::int64_t ldy, float* rowScratch) {
    const std::int64_t blocks = cols / 32;
    for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
        const std::uint8_t* p = w + r * blocks * detail::kQ8_0BlockBytes;
        for (std::int64_t b = 0; b < blocks; ++b) {
            const std::uint8_t* blk = p + b * detail::kQ8_0BlockBytes;
            const float d = detail::f16Value(detail::loadU16(blk));
            for (int j = 0; j < 32; ++j)
                rowScratch[b * 32 + j] = d * float(static_cast<std::int8_t>(blk[2 + j]));
        }
        dotBatch(rowScratch, cols, x, T, y + (r - rowBegin), ldy);
    }
}

void gemm_mxfp4_ref(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                    std::int64_t rowEnd, const float* x, std::int64_t T, float* y,
                    std::int64_t ldy, float* rowScratch) {
    const std::int64_t blocks = cols / 32;
    for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
        const std::uint8_t* p = w + r * blocks * detail::kMxfp4BlockBytes;
        for (std::int64_t b = 0; b < blocks; ++b) {
            const std::uint8_t* blk = p + b * detail::kMxfp4BlockBytes;
            const float d = detail::e8m0Value(blk[0]);
            for (int j = 0; j < 16; ++j) {
                rowScratch[b * 32 + j] = detail::e2m1Value(blk[1 + j] & 0x0f) * d;
                rowScratch[b * 32 + j + 16] = detail::e2m1Value(blk[1 + j] >> 4) * d;
            }
        }
        dotBatch(rowScratch, cols, x, T, y + (r - rowBegin), ldy);
    }
}

}  // namespace atelier::kernels
