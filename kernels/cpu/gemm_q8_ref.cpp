// Scalar Q8_0 and MXFP4 × int8-activation kernels (gemm_q8.h), and the entry points that take a
// level (the slots of that level's kernel table).

#include <algorithm>
#include <cmath>

#include "atelier/kernels/gemm_q8.h"
#include "atelier/kernels/kernel_table.h"
#include "cpu/decode_scalar.h"

namespace atelier::kernels {

void quantize_row_q8a_ref(const float* x, std::int64_t n, BlockQ8A* out) {
    for (std::int64_t b = 0; b < n / kQ8Block; ++b) {
        const float* v = x + b * kQ8Block;
        float amax = 0.0f;
        bool finite = true;
        for (int i = 0; i < kQ8Block; ++i) {
            finite = finite && std::isfinite(v[i]);
            amax = std::max(amax, std::fabs(v[i]));
        }
        BlockQ8A& o = out[b];
        if (!finite) {  // every product that reads this block is NaN
            o.d = NAN;
            std::fill(o.qs, o.qs + kQ8Block, std::int8_t(0));
            continue;
        }
        o.d = amax / 127.0f;
        const float id = amax > 0.0f ? 127.0f / amax : 0.0f;
        for (int i = 0; i < kQ8Block; ++i)
            o.qs[i] = std::int8_t(std::clamp(std::lround(v[i] * id), -127L, 127L));
    }
}

float dot_q8_0_q8a_ref(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += detail::kQ8_0BlockBytes) {
        const auto* q = reinterpret_cast<const std::int8_t*>(w + 2);
        std::int32_t s = 0;
        for (int i = 0; i < kQ8Block; ++i) s += std::int32_t(q[i]) * a[b].qs[i];
        sum += detail::f16Value(detail::loadU16(w)) * a[b].d * float(s);
    }
    return sum;
}

namespace {

// Every (row, token) of rows [rowBegin, rowEnd) by Dot over blocks of kBlockBytes.
template <float (*Dot)(const std::uint8_t*, const BlockQ8A*, std::int64_t), std::int64_t kBlockBytes>
void rowsTimesTokens(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                     std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                     std::int64_t ldy) {
    const std::int64_t nb = cols / kQ8Block;
    const std::size_t rowBytes = std::size_t(nb * kBlockBytes);
    for (std::int64_t r = rowBegin; r < rowEnd; ++r)
        for (std::int64_t t = 0; t < T; ++t)
            y[t * ldy + (r - rowBegin)] = Dot(w + std::size_t(r) * rowBytes, xq + t * nb, nb);
}

}  // namespace

void gemm_q8_0_q8a_ref(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                       std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                       std::int64_t ldy) {
    rowsTimesTokens<dot_q8_0_q8a_ref, detail::kQ8_0BlockBytes>(w, cols, rowBegin, rowEnd, xq, T, y, ldy);
}

float dot_mxfp4_q8a_ref(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    static constexpr int kDoubled[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += detail::kMxfp4BlockBytes) {
        std::int32_t s = 0;
        for (int j = 0; j < 16; ++j) {
            s += kDoubled[w[1 + j] & 15] * a[b].qs[j];
            s += kDoubled[w[1 + j] >> 4] * a[b].qs[j + 16];
        }
        sum += detail::e8m0Value(w[0]) * 0.5f * a[b].d * float(s);
    }
    return sum;
}

void gemm_mxfp4_q8a_ref(const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                        std::int64_t rowEnd, const BlockQ8A* xq, std::int64_t T, float* y,
                        std::int64_t ldy) {
    rowsTimesTokens<dot_mxfp4_q8a_ref, detail::kMxfp4BlockBytes>(w, cols, rowBegin, rowEnd, xq, T, y, ldy);
}

void gemm_mxfp4_q8a(IsaLevel level, const std::uint8_t* w, std::int64_t cols,
                    std::int64_t rowBegin, std::int64_t rowEnd, const BlockQ8A* xq,
                    std::int64_t T, float* y, std::int64_t ldy, bool allowVnni) {
    cpuKernels(level, allowVnni).matmul[int(MatmulFormat::MXFP4)].run(w, nullptr, cols, rowBegin,
                                                                       rowEnd, xq, T, y, ldy, nullptr);
}

void quantize_row_q8a(const float* x, std::int64_t n, BlockQ8A* out) {
    cpuKernels().quantizeQ8A(x, n, out);
}

void gemm_q8_0_q8a(IsaLevel level, const std::uint8_t* w, std::int64_t cols,
                   std::int64_t rowBegin, std::int64_t rowEnd, const BlockQ8A* xq,
                   std::int64_t T, float* y, std::int64_t ldy, bool allowVnni) {
    cpuKernels(level, allowVnni).matmul[int(MatmulFormat::Q8_0)].run(w, nullptr, cols, rowBegin,
                                                                      rowEnd, xq, T, y, ldy, nullptr);
}

}  // namespace atelier::kernels
