// Scalar reference K-quant kernels: Q8_K activation rounding, row dequantization and integer
// dot products (layouts in gemm_kquant.h), and the entry points that take a level (the slots
// of that level's kernel table).

#include <algorithm>
#include <cmath>

#include "atelier/kernels/gemm_kquant.h"
#include "atelier/kernels/kernel_table.h"
#include "cpu/kquant_blocks.h"

namespace atelier::kernels {

using namespace kq;

std::size_t kquantBlockBytes(KQuant type) {
    switch (type) {
    case KQuant::Q4_K: return kQ4KBytes;
    case KQuant::Q6_K: return kQ6KBytes;
    case KQuant::Q2_K: return kQ2KBytes;
    case KQuant::Q5_K: return kQ5KBytes;
    }
    return 0;
}

void quantize_row_q8_k_ref(const float* x, std::int64_t n, BlockQ8K* out) {
    for (std::int64_t b = 0; b < n / kQK_K; ++b) {
        const float* v = x + b * kQK_K;
        float amax = 0.0f;
        for (int i = 0; i < kQK_K; ++i) amax = std::max(amax, std::fabs(v[i]));
        BlockQ8K& o = out[b];
        o.d = amax / 127.0f;
        const float id = amax > 0.0f ? 127.0f / amax : 0.0f;
        for (int i = 0; i < kQK_K; ++i)
            o.qs[i] = std::int8_t(std::clamp(std::lround(v[i] * id), -127L, 127L));
        for (int g = 0; g < kQK_K / 16; ++g) {
            int s = 0;
            for (int i = 0; i < 16; ++i) s += o.qs[g * 16 + i];
            o.bsums[g] = std::int16_t(s);
        }
    }
}

// ---- dequantization (element order as documented in gemm_kquant.h) ------------------------

void dequant_row_q4_k_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n / kQK_K; ++b, w += kQ4KBytes, out += kQK_K) {
        const float d = halfToFloat(w), dmin = halfToFloat(w + 2);
        std::uint8_t sc[8], m[8];
        unpackQ4KScales(w + kQ4KScales, sc, m);
        const std::uint8_t* q = w + kQ4KQs;
        for (int c = 0; c < 4; ++c)
            for (int l = 0; l < 32; ++l) {
                out[64 * c + l] = d * float(sc[2 * c]) * float(q[32 * c + l] & 15) - dmin * float(m[2 * c]);
                out[64 * c + 32 + l] = d * float(sc[2 * c + 1]) * float(q[32 * c + l] >> 4) - dmin * float(m[2 * c + 1]);
            }
    }
}

// Code of element e (0..255) of a Q5_K block, in [0, 31].
static int q5Code(const std::uint8_t* w, int e) {
    const int c = e / 64, l = e % 32, hiHalf = (e % 64) / 32;
    const std::uint8_t q = w[kQ5KQs + 32 * c + l];
    const int low = hiHalf ? q >> 4 : q & 15;
    return low | (((w[kQ5KQh + l] >> (2 * c + hiHalf)) & 1) << 4);
}

void dequant_row_q5_k_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n / kQK_K; ++b, w += kQ5KBytes, out += kQK_K) {
        const float d = halfToFloat(w), dmin = halfToFloat(w + 2);
        std::uint8_t sc[8], m[8];
        unpackQ4KScales(w + kQ5KScales, sc, m);
        for (int e = 0; e < kQK_K; ++e)
            out[e] = d * float(sc[e / 32]) * float(q5Code(w, e)) - dmin * float(m[e / 32]);
    }
}

// Code of element e (0..255) of a Q6_K block, in [0, 63].
static int q6Code(const std::uint8_t* w, int e) {
    const int n = e / 128, k = (e % 128) / 32, l = e % 32;
    const std::uint8_t lo = w[64 * n + l + 32 * (k & 1)];
    const int low = k < 2 ? lo & 15 : lo >> 4;
    return low | (((w[kQ6KQh + 32 * n + l] >> (2 * k)) & 3) << 4);
}

// Code of element e of a Q2_K block, in [0, 3].
static int q2Code(const std::uint8_t* w, int e) {
    const int n = e / 128, k = (e % 128) / 32, l = e % 32;
    return (w[kQ2KQs + 32 * n + l] >> (2 * k)) & 3;
}

void dequant_row_q6_k_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n / kQK_K; ++b, w += kQ6KBytes, out += kQK_K) {
        const float d = halfToFloat(w + kQ6KD);
        const auto* sc = reinterpret_cast<const std::int8_t*>(w + kQ6KScales);
        for (int e = 0; e < kQK_K; ++e) out[e] = d * float(sc[e / 16]) * float(q6Code(w, e) - 32);
    }
}

void dequant_row_q2_k_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n / kQK_K; ++b, w += kQ2KBytes, out += kQK_K) {
        const float d = halfToFloat(w + kQ2KD), dmin = halfToFloat(w + kQ2KDmin);
        for (int e = 0; e < kQK_K; ++e) {
            const std::uint8_t s = w[e / 16];
            out[e] = d * float(s & 15) * float(q2Code(w, e)) - dmin * float(s >> 4);
        }
    }
}

// ---- integer dot products ------------------------------------------------------------------

float dot_q4_k_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kQ4KBytes) {
        std::uint8_t sc[8], m[8];
        unpackQ4KScales(w + kQ4KScales, sc, m);
        const std::uint8_t* q = w + kQ4KQs;
        std::int32_t sumq = 0, summ = 0;
        for (int c = 0; c < 4; ++c) {
            std::int32_t lo = 0, hi = 0;
            for (int l = 0; l < 32; ++l) {
                lo += (q[32 * c + l] & 15) * a[b].qs[64 * c + l];
                hi += (q[32 * c + l] >> 4) * a[b].qs[64 * c + 32 + l];
            }
            sumq += lo * sc[2 * c] + hi * sc[2 * c + 1];
        }
        for (int j = 0; j < 8; ++j) summ += m[j] * (a[b].bsums[2 * j] + a[b].bsums[2 * j + 1]);
        sum += a[b].d * (halfToFloat(w) * float(sumq) - halfToFloat(w + 2) * float(summ));
    }
    return sum;
}

float dot_q5_k_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kQ5KBytes) {
        std::uint8_t sc[8], m[8];
        unpackQ4KScales(w + kQ5KScales, sc, m);
        std::int32_t sumq = 0, summ = 0;
        for (int j = 0; j < 8; ++j) {
            std::int32_t s = 0;
            for (int i = 0; i < 32; ++i) s += q5Code(w, 32 * j + i) * a[b].qs[32 * j + i];
            sumq += s * sc[j];
            summ += m[j] * (a[b].bsums[2 * j] + a[b].bsums[2 * j + 1]);
        }
        sum += a[b].d * (halfToFloat(w) * float(sumq) - halfToFloat(w + 2) * float(summ));
    }
    return sum;
}

float dot_q6_k_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kQ6KBytes) {
        const auto* sc = reinterpret_cast<const std::int8_t*>(w + kQ6KScales);
        std::int32_t sumq = 0;
        for (int g = 0; g < 16; ++g) {
            std::int32_t s = 0;
            for (int i = 0; i < 16; ++i) s += (q6Code(w, 16 * g + i) - 32) * a[b].qs[16 * g + i];
            sumq += s * sc[g];
        }
        sum += a[b].d * halfToFloat(w + kQ6KD) * float(sumq);
    }
    return sum;
}

float dot_q2_k_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kQ2KBytes) {
        std::int32_t sumq = 0, summ = 0;
        for (int g = 0; g < 16; ++g) {
            std::int32_t s = 0;
            for (int i = 0; i < 16; ++i) s += q2Code(w, 16 * g + i) * a[b].qs[16 * g + i];
            sumq += s * (w[g] & 15);
            summ += (w[g] >> 4) * a[b].bsums[g];
        }
        sum += a[b].d * (halfToFloat(w + kQ2KD) * float(sumq) - halfToFloat(w + kQ2KDmin) * float(summ));
    }
    return sum;
}

// ---- the matrix product --------------------------------------------------------------------

void gemm_kquant_q8_k(IsaLevel level, KQuant type, const std::uint8_t* w, std::int64_t cols,
                      std::int64_t rowBegin, std::int64_t rowEnd, const BlockQ8K* xq,
                      std::int64_t T, float* y, std::int64_t ldy, bool allowVnni) {
    cpuKernels(level, allowVnni).matmul[int(matmulFormat(type))].run(w, nullptr, cols, rowBegin,
                                                                      rowEnd, xq, T, y, ldy, nullptr);
}

void quantize_row_q8_k(const float* x, std::int64_t n, BlockQ8K* out) {
    cpuKernels().quantizeQ8K(x, n, out);
}

void gemm_kquant(KQuant type, const std::uint8_t* w, std::int64_t cols, std::int64_t rowBegin,
                 std::int64_t rowEnd, const float* x, std::int64_t T, float* y, std::int64_t ldy,
                 BlockQ8K* scratch) {
    const KernelTable& k = cpuKernels();
    const std::int64_t nb = cols / kQK_K;
    for (std::int64_t t = 0; t < T; ++t) k.quantizeQ8K(x + t * cols, cols, scratch + t * nb);
    k.matmul[int(matmulFormat(type))].run(w, nullptr, cols, rowBegin, rowEnd, scratch, T, y, ldy,
                                          nullptr);
}

}  // namespace atelier::kernels
