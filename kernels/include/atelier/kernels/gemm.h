#pragma once
// Matrix products over stored weight formats, in f32, one body per ISA level (the kernel
// table's `gemm` slot and its F32 … E2M1 matmul slots, kernel_table.h):
// y[t * ldy + (r − rowBegin)] = W[r] · x[t] for r in [rowBegin, rowEnd), x [T, cols] f32.
// The kernels read the stored bytes directly, a few rows at a time (never the whole tensor),
// and block over several tokens per weight row so that prefill is bound by arithmetic.
// Scalar level: the `_ref` kernels of gemv_ref.h (bit-identical to them). AVX2 and AVX-512
// levels sum in another order, so they agree with the references to rounding only.
// Thread-safe: pure functions; each caller passes its own scratch.

#include <cstddef>
#include <cstdint>

#include "atelier/kernels/cpu_features.h"

namespace atelier::kernels {

enum class WeightFormat {
    F32,    // [rows, cols] f32
    BF16,   // [rows, cols] bf16 bit patterns
    F16,    // [rows, cols] IEEE half bit patterns
    Q8_0,   // ggml: per row cols/32 blocks of {f16 d, int8 q[32]} (34 bytes)
    E4M3,   // FP8 e4m3fn [rows, cols] with UE8M0 scales [ceil(rows/128), ceil(cols/128)]
    E2M1,   // HF FP4 pairs [rows, cols/2] (element 2i low nibble) with UE8M0 scales [rows, cols/32]
    MXFP4,  // ggml: per row cols/32 blocks of {e8m0 scale, 16 bytes: element j low, j+16 high}
};

struct WeightMatrix {
    WeightFormat format = WeightFormat::F32;
    const void* data = nullptr;
    const std::uint8_t* scale = nullptr;  // E4M3 and E2M1 only
    std::int64_t rows = 0;
    std::int64_t cols = 0;  // logical elements; a multiple of 32 for the block formats
};

// Floats of scratch one gemm() call needs for `cols` columns.
std::size_t gemmScratchFloats(std::int64_t cols);

// The product at the active dispatch level (activeIsaLevel(): cpuKernels().gemm).
void gemm(const WeightMatrix& w, std::int64_t rowBegin, std::int64_t rowEnd, const float* x,
          std::int64_t T, float* y, std::int64_t ldy, float* scratch);
// The product at an explicit level (tests; the level must be supported by this CPU).
void gemmAt(IsaLevel level, const WeightMatrix& w, std::int64_t rowBegin, std::int64_t rowEnd,
            const float* x, std::int64_t T, float* y, std::int64_t ldy, float* scratch);

// Per-level bodies (one file each): the `gemm` slot of each level's table.
void gemm_scalar(const WeightMatrix& w, std::int64_t rowBegin, std::int64_t rowEnd,
                 const float* x, std::int64_t T, float* y, std::int64_t ldy, float* scratch);
void gemm_avx2(const WeightMatrix& w, std::int64_t rowBegin, std::int64_t rowEnd,
               const float* x, std::int64_t T, float* y, std::int64_t ldy, float* scratch);
void gemm_avx512(const WeightMatrix& w, std::int64_t rowBegin, std::int64_t rowEnd,
                 const float* x, std::int64_t T, float* y, std::int64_t ldy, float* scratch);

// Bytes of one stored row (the weight data only, scales excluded).
std::size_t weightRowBytes(WeightFormat format, std::int64_t cols);

}  // namespace atelier::kernels
