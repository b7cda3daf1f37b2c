// Scalar reference of ggml's non-linear 4-bit formats, IQ4_NL (blocks of 32, against BlockQ8A)
// and IQ4_XS (super-blocks of 256 with 6-bit sub-block scales, against BlockQ8K): row decode,
// quantizer, and the integer dot products the SIMD levels must reproduce. Layouts in
// gemm_quant.h; the 16 levels are iq::kIq4nlValues.

#include <array>
#include <cmath>
#include <cstring>

#include "atelier/kernels/gemm_quant.h"
#include "cpu/iq_grids.h"
#include "cpu/kquant_blocks.h"

namespace atelier::kernels {
namespace {

using kq::floatToHalf;

using iq::kIq4nlValues;
using kq::halfToFloat;

constexpr int kNlBytes = 18, kXsBytes = 136;
constexpr int kXsScalesH = 2, kXsScalesL = 4, kXsQs = 8;

// The f16 nearest to f, as the float it stands for (and its bits in *bits).
float roundToHalf(float f, std::uint16_t* bits) {
    *bits = floatToHalf(f);
    return halfToFloat(reinterpret_cast<const std::uint8_t*>(bits));
}

// Code of element j (0..31) of a 16-byte nibble array: low nibbles first, then high nibbles.
int nibble(const std::uint8_t* qs, int j) { return j < 16 ? qs[j] & 15 : qs[j - 16] >> 4; }

void packNibbles(const std::uint8_t* q, std::uint8_t* qs) {
    for (int j = 0; j < 16; ++j) qs[j] = std::uint8_t(q[j] | q[j + 16] << 4);
}

// Midpoints between neighbouring levels (the levels are sorted).
constexpr auto kMidpoints = [] {
    std::array<float, 15> m{};
    for (int i = 0; i < 15; ++i) m[std::size_t(i)] = 0.5f * float(kIq4nlValues[i] + kIq4nlValues[i + 1]);
    return m;
}();

// Index of the level nearest to t (in units of the levels; ties to the lower one): binary
// search for the number of midpoints below t.
int nearestLevel(float t) {
    int i = 0;
    for (int step = 8; step > 0; step /= 2)
        if (t > kMidpoints[std::size_t(i + step - 1)]) i += step;  // index <= 14
    return i;
}

// One candidate: the codes are the nearest levels under the inverse scale `id`; `scale` becomes
// the least-squares scale for those codes. Returns the squared error that scale removes,
// sum(qx)^2 / sum(q^2), so the candidate with the largest return fits best.
float fitScale(const float* x, float id, float& scale) {
    float sqx = 0.0f, sqq = 0.0f;
    for (int j = 0; j < 32; ++j) {
        const float q = kIq4nlValues[nearestLevel(x[j] * id)];
        sqx += q * x[j];
        sqq += q * q;
    }
    scale = sqq > 0.0f ? sqx / sqq : 0.0f;
    return sqq > 0.0f ? sqx * sqx / sqq : 0.0f;
}

// The best scale for 32 values: the element of largest magnitude is put near either end of the
// (asymmetric) level table, a few steps to either side, and each candidate's codes are refit.
float bestScale(const float* x) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 32; ++j)
        if (std::fabs(x[j]) > amax) amax = std::fabs(x[j]), max = x[j];
    if (!(amax > 0.0f) || !std::isfinite(amax)) return 0.0f;
    float best = -1.0f, scale = 0.0f;
    for (const int end : {int(kIq4nlValues[0]), int(kIq4nlValues[15])})
        for (int t = -8; t <= 8; ++t) {
            float s;
            const float gain = fitScale(x, float(end + t) / max, s);
            if (gain > best) best = gain, scale = s;
        }
    return scale;
}

// Codes of 32 values under scale d (zero scale: the level nearest 0).
void assignCodes(const float* x, float d, std::uint8_t* q) {
    const float id = d != 0.0f && std::isfinite(d) ? 1.0f / d : 0.0f;
    for (int j = 0; j < 32; ++j) q[j] = std::uint8_t(nearestLevel(std::isfinite(x[j]) ? x[j] * id : 0.0f));
}

// Squared error of 32 values coded under scale d.
float codedError(const float* x, float d) {
    std::uint8_t q[32];
    assignCodes(x, d, q);
    float e = 0.0f;
    for (int j = 0; j < 32; ++j) e += (x[j] - d * float(kIq4nlValues[q[j]])) * (x[j] - d * float(kIq4nlValues[q[j]]));
    return e;
}

// One IQ4_XS super-block. Each sub-block's best scale s_j is rounded to d * l_j (l_j in
// -32..31, stored + 32); d is chosen among a few candidates that put the largest |s_j| near -32
// or +31, by the total squared error after recoding under the stored scales.
void quantizeXsBlock(const float* x, std::uint8_t* out) {
    float s[8], smax = 0.0f;
    for (int j = 0; j < 8; ++j) {
        s[j] = bestScale(x + 32 * j);
        if (std::fabs(s[j]) > std::fabs(smax)) smax = s[j];
    }
    std::uint16_t bestBits = 0;
    int bestL[8] = {};
    float bestErr = INFINITY;
    for (const float k : {-32.0f, -31.5f, -31.0f, 31.0f, 30.5f}) {
        std::uint16_t bits;
        const float d = roundToHalf(smax / k, &bits);
        const float id = d != 0.0f && std::isfinite(d) ? 1.0f / d : 0.0f;
        int l[8];
        float err = 0.0f;
        for (int j = 0; j < 8; ++j) {
            l[j] = int(std::nearbyint(std::fmin(std::fmax(s[j] * id, -32.0f), 31.0f)));
            err += codedError(x + 32 * j, d * float(l[j]));
        }
        if (err < bestErr || bestErr == INFINITY) {
            bestErr = err, bestBits = bits;
            std::memcpy(bestL, l, sizeof l);
        }
    }
    std::memcpy(out, &bestBits, 2);
    const float d = halfToFloat(out);
    std::uint16_t scalesH = 0;
    std::memset(out + kXsScalesL, 0, 4);
    for (int j = 0; j < 8; ++j) {
        const int ls = bestL[j] + 32;
        out[kXsScalesL + j / 2] |= std::uint8_t((ls & 15) << 4 * (j % 2));
        scalesH |= std::uint16_t((ls >> 4) << 2 * j);
        std::uint8_t q[32];
        assignCodes(x + 32 * j, d * float(bestL[j]), q);
        packNibbles(q, out + kXsQs + 16 * j);
    }
    std::memcpy(out + kXsScalesH, &scalesH, 2);
}

// 6-bit scale of sub-block j of an IQ4_XS block, minus 32.
int xsScale(const std::uint8_t* w, int j) {
    std::uint16_t h;
    std::memcpy(&h, w + kXsScalesH, 2);
    return (((w[kXsScalesL + j / 2] >> 4 * (j % 2)) & 15) | ((h >> 2 * j) & 3) << 4) - 32;
}

}  // namespace

void dequant_row_iq4_nl_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n / 32; ++b, w += kNlBytes, out += 32) {
        const float d = halfToFloat(w);
        for (int j = 0; j < 32; ++j) out[j] = d * float(kIq4nlValues[nibble(w + 2, j)]);
    }
}

void dequant_row_iq4_xs_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n / 256; ++b, w += kXsBytes) {
        const float d = halfToFloat(w);
        for (int j = 0; j < 8; ++j, out += 32) {
            const float dl = d * float(xsScale(w, j));
            for (int i = 0; i < 32; ++i) out[i] = dl * float(kIq4nlValues[nibble(w + kXsQs + 16 * j, i)]);
        }
    }
}

void quantize_row_iq4_nl_ref(const float* x, std::int64_t n, std::uint8_t* out) {
    for (std::int64_t b = 0; b < n / 32; ++b, x += 32, out += kNlBytes) {
        std::uint16_t bits;
        const float d = roundToHalf(bestScale(x), &bits);
        std::memcpy(out, &bits, 2);
        std::uint8_t q[32];
        assignCodes(x, d, q);
        packNibbles(q, out + 2);
    }
}

void quantize_row_iq4_xs_ref(const float* x, std::int64_t n, std::uint8_t* out) {
    for (std::int64_t b = 0; b < n / 256; ++b) quantizeXsBlock(x + 256 * b, out + kXsBytes * b);
}

float dot_iq4_nl_q8a_ref(const std::uint8_t* w, const BlockQ8A* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kNlBytes) {
        std::int32_t s = 0;
        for (int j = 0; j < 32; ++j) s += kIq4nlValues[nibble(w + 2, j)] * a[b].qs[j];
        sum += halfToFloat(w) * a[b].d * float(s);
    }
    return sum;
}

float dot_iq4_xs_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kXsBytes) {
        std::int32_t s = 0;
        for (int j = 0; j < 8; ++j) {
            std::int32_t sj = 0;
            for (int i = 0; i < 32; ++i) sj += kIq4nlValues[nibble(w + kXsQs + 16 * j, i)] * a[b].qs[32 * j + i];
            s += xsScale(w, j) * sj;
        }
        sum += halfToFloat(w) * a[b].d * float(s);
    }
    return sum;
}

}  // namespace atelier::kernels
