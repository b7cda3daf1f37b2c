// Q3_K reference kernels (layout in gemm_quant.h): the exact decode, a round-to-nearest
// quantizer with a small scale search, and the integer dot product with Q8_K activations.

#include <algorithm>
#include <cmath>
#include <cstring>

#include "atelier/kernels/gemm_quant.h"
#include "cpu/kquant_blocks.h"

namespace atelier::kernels {
namespace {

using kq::floatToHalf;

using kq::halfToFloat;

// Q3_K: hmask[32], qs[64], scales[12], f16 d.
constexpr int kQs = 32, kScales = 96, kD = 108, kBytes = 110;

// The sixteen signed sub-block scales (stored value - 32, in [-32, 31]).
void unpackScales(const std::uint8_t* s, int out[16]) {
    for (int i = 0; i < 16; ++i) {
        const int low = i < 8 ? s[i] & 15 : s[i - 8] >> 4;
        const int high = (s[8 + i % 4] >> (2 * (i / 4))) & 3;
        out[i] = (low | high << 4) - 32;
    }
}

void packScales(const int sc[16], std::uint8_t* s) {
    std::memset(s, 0, 12);
    for (int i = 0; i < 16; ++i) {
        const int v = sc[i] + 32;
        s[i % 8] |= std::uint8_t((v & 15) << (4 * (i / 8)));
        s[8 + i % 4] |= std::uint8_t((v >> 4) << (2 * (i / 4)));
    }
}

// Code of element e (0..255), in [-4, 3].
int code(const std::uint8_t* w, int e) {
    const int n = e / 128, k = (e % 128) / 32, l = e % 32;
    const int low = (w[kQs + 32 * n + l] >> (2 * k)) & 3;
    const int high = (w[l] >> (4 * n + k)) & 1;
    return low + 4 * high - 4;
}

// Stores code q (in [-4, 3]) of element e into a zeroed block.
void putCode(std::uint8_t* w, int e, int q) {
    const int n = e / 128, k = (e % 128) / 32, l = e % 32, u = q + 4;
    w[kQs + 32 * n + l] |= std::uint8_t((u & 3) << (2 * k));
    w[l] |= std::uint8_t((u >> 2) << (4 * n + k));
}

// round(v) clamped to [lo, hi]; NaN gives lo (no undefined int conversion).
int clampRound(float v, int lo, int hi) {
    return int(std::fmin(std::fmax(std::nearbyint(v), float(lo)), float(hi)));
}

// The value of largest magnitude among x[0..n), sign kept.
float signedMax(const float* x, int n) {
    float m = 0.0f;
    for (int i = 0; i < n; ++i)
        if (std::fabs(x[i]) > std::fabs(m)) m = x[i];
    return m;
}

// Squared error of 16 values stored as s * q, q = round(x / s) in [-4, 3]; `refit` gets the
// least-squares scale for those codes.
float subError(const float* x, float s, float& refit) {
    float err = 0.0f, xq = 0.0f, qq = 0.0f;
    const float inv = s != 0.0f ? 1.0f / s : 0.0f;
    for (int i = 0; i < 16; ++i) {
        const float q = float(clampRound(x[i] * inv, -4, 3));
        const float e = x[i] - s * q;
        err += e * e, xq += x[i] * q, qq += q * q;
    }
    refit = qq > 0.0f ? xq / qq : 0.0f;
    return err;
}

// The real scale of one 16-element sub-block with the least squared error among candidates
// that put its largest value at code -4 .. -3 (scale of the opposite sign, using the extra
// negative level) or at 3 .. 2.5, each followed by one least-squares refit.
float bestSubScale(const float* x) {
    const float m = signedMax(x, 16);
    float best = 0.0f, bestErr = 0.0f;
    for (int i = 0; i < 16; ++i) bestErr += x[i] * x[i];
    if (m == 0.0f) return 0.0f;
    for (int t = 0; t < 12; ++t) {
        float s = t < 7 ? -m / (3.0f + 0.25f * float(t)) : m / (2.5f + 0.25f * float(t - 7));
        for (int pass = 0; pass < 2 && s != 0.0f; ++pass) {
            float refit;
            const float err = subError(x, s, refit);
            if (err < bestErr) bestErr = err, best = s;
            s = refit;
        }
    }
    return best;
}

// Squared error of one sub-block at the stored scale d * ls.
float storedError(const float* x, float d, int ls) {
    float refit;
    return subError(x, d * float(ls), refit);
}

// Picks d and the sixteen 6-bit scales of one super-block; returns the total squared error.
float chooseScales(const float* x, const float sub[16], float dCandidate, std::uint16_t& dh, int sc[16]) {
    dh = floatToHalf(dCandidate);
    const float d = halfToFloat(reinterpret_cast<const std::uint8_t*>(&dh));
    float total = 0.0f;
    for (int j = 0; j < 16; ++j) {
        const int r = d != 0.0f ? clampRound(sub[j] / d, -32, 31) : 0;
        sc[j] = r;
        float bestErr = storedError(x + 16 * j, d, r);
        for (int ls = std::max(r - 1, -32); ls <= std::min(r + 1, 31); ++ls) {  // and neighbours
            if (ls == r) continue;
            const float err = storedError(x + 16 * j, d, ls);
            if (err < bestErr) bestErr = err, sc[j] = ls;
        }
        total += bestErr;
    }
    return total;
}

void quantizeBlock(const float* x, std::uint8_t* out) {
    float sub[16];
    for (int j = 0; j < 16; ++j) sub[j] = bestSubScale(x + 16 * j);
    const float m = signedMax(sub, 16);
    std::uint16_t dh = 0;
    int sc[16] = {};
    if (m != 0.0f && std::isfinite(m)) {
        // The largest sub-scale at -32 (the extra negative level) or at 31: keep the better.
        std::uint16_t dh2;
        int sc2[16];
        const float e1 = chooseScales(x, sub, -m / 32.0f, dh, sc);
        const float e2 = chooseScales(x, sub, m / 31.0f, dh2, sc2);
        if (e2 < e1) dh = dh2, std::copy(sc2, sc2 + 16, sc);
    }
    std::memset(out, 0, kBytes);
    packScales(sc, out + kScales);
    std::memcpy(out + kD, &dh, 2);
    const float d = halfToFloat(out + kD);
    for (int e = 0; e < 256; ++e) {
        const float s = d * float(sc[e / 16]);  // the codes subError chose at this scale
        putCode(out, e, s != 0.0f ? clampRound(x[e] * (1.0f / s), -4, 3) : 0);
    }
}

}  // namespace

void dequant_row_q3_k_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n / 256; ++b, w += kBytes, out += 256) {
        const float d = halfToFloat(w + kD);
        int sc[16];
        unpackScales(w + kScales, sc);
        for (int e = 0; e < 256; ++e) out[e] = d * float(sc[e / 16]) * float(code(w, e));
    }
}

void quantize_row_q3_k_ref(const float* x, std::int64_t n, std::uint8_t* out) {
    for (std::int64_t b = 0; b < n / 256; ++b) quantizeBlock(x + 256 * b, out + kBytes * b);
}

float dot_q3_k_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kBytes) {
        int sc[16];
        unpackScales(w + kScales, sc);
        std::int32_t sumi = 0;
        for (int g = 0; g < 16; ++g) {
            std::int32_t s = 0;
            for (int i = 0; i < 16; ++i) s += code(w, 16 * g + i) * a[b].qs[16 * g + i];
            sumi += sc[g] * s;
        }
        sum += a[b].d * halfToFloat(w + kD) * float(sumi);
    }
    return sum;
}

}  // namespace atelier::kernels
