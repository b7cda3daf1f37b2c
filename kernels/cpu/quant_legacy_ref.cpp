// Scalar reference of ggml's legacy blocks of 32 (Q4_0, Q4_1, Q5_0, Q5_1; layouts in
// gemm_quant.h): row decode, quantizer, and the integer dot product with BlockQ8A activations
// that the SIMD levels must reproduce.

#include <algorithm>
#include <cmath>
#include <cstring>

#include "atelier/kernels/gemm_quant.h"
#include "cpu/kquant_blocks.h"

namespace atelier::kernels {
namespace {

using kq::floatToHalf;

using kq::halfToFloat;

constexpr int kBlock = 32;
// Bytes per block and where the nibbles start (after d, m and qh when present).
constexpr int kQ4_0Bytes = 18, kQ4_1Bytes = 20, kQ5_0Bytes = 22, kQ5_1Bytes = 24;

void putHalf(std::uint8_t* p, std::uint16_t h) { std::memcpy(p, &h, 2); }

std::uint32_t loadU32(const std::uint8_t* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// nearbyint(v) clamped to [lo, hi]; NaN gives lo (never an undefined int conversion).
int roundClamped(float v, int lo, int hi) {
    return int(std::nearbyint(std::fmin(std::fmax(v, float(lo)), float(hi))));
}

// Code of element j (0..31) of a block: 4 bits from the nibbles, the fifth from qh (if any).
int code4(const std::uint8_t* qs, int j) { return j < 16 ? qs[j] & 15 : qs[j - 16] >> 4; }
int code5(const std::uint8_t* qh, const std::uint8_t* qs, int j) {
    return code4(qs, j) | int((loadU32(qh) >> j) & 1u) << 4;
}

// Writes 32 codes (4 or 5 bits) as nibbles (qs) and, for 5 bits, the fifth bits (qh).
void packCodes(const int* q, std::uint8_t* qh, std::uint8_t* qs) {
    std::uint32_t high = 0;
    for (int j = 0; j < 16; ++j) {
        qs[j] = std::uint8_t((q[j] & 15) | (q[j + 16] & 15) << 4);
        high |= std::uint32_t(q[j] >> 4) << j | std::uint32_t(q[j + 16] >> 4) << (j + 16);
    }
    if (qh) std::memcpy(qh, &high, 4);
}

// Q4_0 / Q5_0 (ggml's rule): the element of largest magnitude sets d = it / -half, so it gets
// code 0; the others round to nearest under the stored (f16) d.
void quantizeSymmetric(const float* x, std::int64_t n, int half, int bytes, std::uint8_t* out) {
    for (std::int64_t b = 0; b < n / kBlock; ++b, out += bytes) {
        const float* v = x + b * kBlock;
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < kBlock; ++j)
            if (std::fabs(v[j]) > amax) amax = std::fabs(v[j]), max = v[j];
        const std::uint16_t dh = floatToHalf(max / -float(half));
        const float d = halfToFloat(reinterpret_cast<const std::uint8_t*>(&dh));
        const float id = std::isfinite(d) && d != 0.0f ? 1.0f / d : 0.0f;
        putHalf(out, dh);
        int q[kBlock];
        for (int j = 0; j < kBlock; ++j) q[j] = roundClamped(v[j] * id, -half, half - 1) + half;
        packCodes(q, half == 16 ? out + 2 : nullptr, out + (half == 16 ? 6 : 2));
    }
}

// Q4_1 / Q5_1: min-max affine, d = (max - min) / levels, m = min; codes round under the stored
// d and m.
void quantizeAffine(const float* x, std::int64_t n, int levels, int bytes, std::uint8_t* out) {
    for (std::int64_t b = 0; b < n / kBlock; ++b, out += bytes) {
        const float* v = x + b * kBlock;
        float lo = v[0], hi = v[0];
        for (int j = 1; j < kBlock; ++j) lo = std::min(lo, v[j]), hi = std::max(hi, v[j]);
        putHalf(out, floatToHalf((hi - lo) / float(levels)));
        putHalf(out + 2, floatToHalf(lo));
        const float d = halfToFloat(out), m = halfToFloat(out + 2);
        const float id = std::isfinite(d) && d > 0.0f ? 1.0f / d : 0.0f;
        int q[kBlock];
        for (int j = 0; j < kBlock; ++j) q[j] = roundClamped((v[j] - m) * id, 0, levels);
        packCodes(q, levels == 31 ? out + 4 : nullptr, out + (levels == 31 ? 8 : 4));
    }
}

}  // namespace

// ---- decode --------------------------------------------------------------------------------

void dequant_row_q4_0_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n / kBlock; ++b, w += kQ4_0Bytes, out += kBlock) {
        const float d = halfToFloat(w);
        for (int j = 0; j < kBlock; ++j) out[j] = d * float(code4(w + 2, j) - 8);
    }
}

void dequant_row_q4_1_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n / kBlock; ++b, w += kQ4_1Bytes, out += kBlock) {
        const float d = halfToFloat(w), m = halfToFloat(w + 2);
        for (int j = 0; j < kBlock; ++j) out[j] = d * float(code4(w + 4, j)) + m;
    }
}

void dequant_row_q5_0_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n / kBlock; ++b, w += kQ5_0Bytes, out += kBlock) {
        const float d = halfToFloat(w);
        for (int j = 0; j < kBlock; ++j) out[j] = d * float(code5(w + 2, w + 6, j) - 16);
    }
}

void dequant_row_q5_1_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n / kBlock; ++b, w += kQ5_1Bytes, out += kBlock) {
        const float d = halfToFloat(w), m = halfToFloat(w + 2);
        for (int j = 0; j < kBlock; ++j) out[j] = d * float(code5(w + 4, w + 8, j)) + m;
    }
}

// ---- quantizers ----------------------------------------------------------------------------

void quantize_row_q4_0_ref(const float* x, std::int64_t n, std::uint8_t* out) { quantizeSymmetric(x, n, 8, kQ4_0Bytes, out); }
void quantize_row_q5_0_ref(const float* x, std::int64_t n, std::uint8_t* out) { quantizeSymmetric(x, n, 16, kQ5_0Bytes, out); }
void quantize_row_q4_1_ref(const float* x, std::int64_t n, std::uint8_t* out) { quantizeAffine(x, n, 15, kQ4_1Bytes, out); }
void quantize_row_q5_1_ref(const float* x, std::int64_t n, std::uint8_t* out) { quantizeAffine(x, n, 31, kQ5_1Bytes, out); }

// ---- integer dot products: per block an exact int32 sum, scaled in f32 ---------------------

float dot_q4_0_q8a_ref(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kQ4_0Bytes) {
        std::int32_t s = 0;
        for (int j = 0; j < kBlock; ++j) s += (code4(w + 2, j) - 8) * a[b].qs[j];
        sum += halfToFloat(w) * a[b].d * float(s);
    }
    return sum;
}

float dot_q5_0_q8a_ref(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kQ5_0Bytes) {
        std::int32_t s = 0;
        for (int j = 0; j < kBlock; ++j) s += (code5(w + 2, w + 6, j) - 16) * a[b].qs[j];
        sum += halfToFloat(w) * a[b].d * float(s);
    }
    return sum;
}

// Affine blocks: d * sum(q * a) + m * sum(a), both sums exact.
float dot_q4_1_q8a_ref(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kQ4_1Bytes) {
        std::int32_t sq = 0, sa = 0;
        for (int j = 0; j < kBlock; ++j) sq += code4(w + 4, j) * a[b].qs[j], sa += a[b].qs[j];
        sum += a[b].d * (halfToFloat(w) * float(sq) + halfToFloat(w + 2) * float(sa));
    }
    return sum;
}

float dot_q5_1_q8a_ref(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kQ5_1Bytes) {
        std::int32_t sq = 0, sa = 0;
        for (int j = 0; j < kBlock; ++j) sq += code5(w + 4, w + 8, j) * a[b].qs[j], sa += a[b].qs[j];
        sum += a[b].d * (halfToFloat(w) * float(sq) + halfToFloat(w + 2) * float(sa));
    }
    return sum;
}

}  // namespace atelier::kernels
