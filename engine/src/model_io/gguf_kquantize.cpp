#include "gguf_kquantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "atelier/engine/dtype.h"

namespace atelier::engine::gguf {
namespace {

// The smallest f16 value >= v (v >= 0), saturating at the largest finite half.
std::uint16_t halfAtLeast(float v) {
    if (!(v > 0.0f)) return 0;
    std::uint16_t h = f32ToF16(v);
    if (h >= 0x7c00) return 0x7bff;
    if (f16ToF32(h) < v && h < 0x7bff) ++h;
    return h;
}

void putHalf(std::byte* p, std::uint16_t h) { std::memcpy(p, &h, 2); }

int ceilCode(float value, float step, int maxCode) {
    if (!(step > 0.0f)) return 0;
    return std::clamp(int(std::ceil(value / step)), 0, maxCode);
}

// Asymmetric sub-blocks (value = d*sc*q - dmin*m, q in [0, levels]) with `subs` sub-blocks of
// `len` elements and scales/mins of at most `maxScale`: picks the integer scales sc[], mins m[],
// codes q[] and the f16 super-scales. Covering: q never clamps.
struct Affine {
    std::uint16_t d = 0, dmin = 0;
    int sc[16] = {}, m[16] = {};
    std::uint8_t q[256] = {};
};

Affine affineBlock(const float* x, int subs, int len, int levels, int maxScale) {
    Affine a;
    float lo[16], hi[16], mins[16], maxMin = 0.0f;
    for (int j = 0; j < subs; ++j) {
        lo[j] = std::min(0.0f, *std::min_element(x + j * len, x + (j + 1) * len));
        hi[j] = std::max(lo[j], *std::max_element(x + j * len, x + (j + 1) * len));
        mins[j] = -lo[j];
        maxMin = std::max(maxMin, mins[j]);
    }
    a.dmin = halfAtLeast(maxMin / float(maxScale));
    const float dmin = f16ToF32(a.dmin);
    float need[16], maxNeed = 0.0f;
    for (int j = 0; j < subs; ++j) {
        a.m[j] = ceilCode(mins[j], dmin, maxScale);
        need[j] = (hi[j] + dmin * float(a.m[j])) / float(levels);  // step covering [-dmin*m, hi]
        maxNeed = std::max(maxNeed, need[j]);
    }
    a.d = halfAtLeast(maxNeed / float(maxScale));
    const float d = f16ToF32(a.d);
    for (int j = 0; j < subs; ++j) {
        a.sc[j] = ceilCode(need[j], d, maxScale);
        const float step = d * float(a.sc[j]), shift = dmin * float(a.m[j]);
        for (int i = 0; i < len; ++i) {
            const float v = step > 0.0f ? std::nearbyint((x[j * len + i] + shift) / step) : 0.0f;
            a.q[j * len + i] = std::uint8_t(std::clamp(int(v), 0, levels));
        }
    }
    return a;
}

}  // namespace

// Q4_K / Q5_K head: d, dmin and the eight 6-bit scale/min pairs (12 bytes): low 6 bits of
// 0..3, split 4 + 2 bits of 4..7.
void putK4Head(const Affine& a, std::byte* out) {
    putHalf(out, a.d);
    putHalf(out + 2, a.dmin);
    auto* s = reinterpret_cast<std::uint8_t*>(out + 4);
    for (int j = 0; j < 4; ++j) {
        s[j] = std::uint8_t(a.sc[j] | (a.sc[j + 4] >> 4) << 6);
        s[j + 4] = std::uint8_t(a.m[j] | (a.m[j + 4] >> 4) << 6);
        s[j + 8] = std::uint8_t((a.sc[j + 4] & 15) | (a.m[j + 4] & 15) << 4);
    }
}

// Nibbles of 64c + l (low) and 64c + 32 + l (high) in qs[32c + l].
void putK4Nibbles(const Affine& a, std::uint8_t* qs) {
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l) qs[32 * c + l] = std::uint8_t((a.q[64 * c + l] & 15) | (a.q[64 * c + 32 + l] & 15) << 4);
}

void quantizeRowQ4_K(const float* x, std::int64_t n, std::byte* out) {
    for (std::int64_t b = 0; b < n / 256; ++b, out += 144) {
        const Affine a = affineBlock(x + b * 256, 8, 32, 15, 63);
        putK4Head(a, out);
        putK4Nibbles(a, reinterpret_cast<std::uint8_t*>(out + 16));
    }
}

void quantizeRowQ5_K(const float* x, std::int64_t n, std::byte* out) {
    for (std::int64_t b = 0; b < n / 256; ++b, out += 176) {
        const Affine a = affineBlock(x + b * 256, 8, 32, 31, 63);
        putK4Head(a, out);
        auto* qh = reinterpret_cast<std::uint8_t*>(out + 16);
        std::memset(qh, 0, 32);
        for (int e = 0; e < 256; ++e)  // fifth bit of 64c + 32h + l: bit 2c + h of qh[l]
            qh[e % 32] |= std::uint8_t((a.q[e] >> 4) << (e / 32));
        putK4Nibbles(a, reinterpret_cast<std::uint8_t*>(out + 48));
    }
}

void quantizeRowQ2_K(const float* x, std::int64_t n, std::byte* out) {
    for (std::int64_t b = 0; b < n / 256; ++b, out += 84) {
        const Affine a = affineBlock(x + b * 256, 16, 16, 3, 15);
        auto* p = reinterpret_cast<std::uint8_t*>(out);
        std::memset(p, 0, 84);
        for (int g = 0; g < 16; ++g) p[g] = std::uint8_t(a.sc[g] | a.m[g] << 4);
        for (int e = 0; e < 256; ++e) {  // element 128n + 32k + l: bits 2k of qs[32n + l]
            const int nn = e / 128, k = (e % 128) / 32, l = e % 32;
            p[16 + 32 * nn + l] |= std::uint8_t(a.q[e] << (2 * k));
        }
        putHalf(out + 80, a.d);
        putHalf(out + 82, a.dmin);
    }
}

void quantizeRowQ6_K(const float* x, std::int64_t n, std::byte* out) {
    for (std::int64_t b = 0; b < n / 256; ++b, out += 210) {
        const float* v = x + b * 256;
        float scale[16], maxScale = 0.0f;
        for (int g = 0; g < 16; ++g) {
            float amax = 0.0f;
            for (int i = 0; i < 16; ++i) amax = std::max(amax, std::fabs(v[16 * g + i]));
            scale[g] = amax / 31.0f;  // codes -31..31 cover +-amax without clamping
            maxScale = std::max(maxScale, scale[g]);
        }
        const std::uint16_t dh = halfAtLeast(maxScale / 127.0f);
        const float d = f16ToF32(dh);
        auto* p = reinterpret_cast<std::uint8_t*>(out);
        std::memset(p, 0, 210);
        for (int g = 0; g < 16; ++g) {
            const int sc = ceilCode(scale[g], d, 127);
            p[192 + g] = std::uint8_t(std::int8_t(sc));
            const float step = d * float(sc);
            for (int i = 0; i < 16; ++i) {
                const int e = 16 * g + i;
                const int q = step > 0.0f ? std::clamp(int(std::nearbyint(v[e] / step)), -32, 31) + 32 : 32;
                const int nn = e / 128, k = (e % 128) / 32, l = e % 32;
                p[64 * nn + l + 32 * (k & 1)] |= std::uint8_t((q & 15) << (k >= 2 ? 4 : 0));
                p[128 + 32 * nn + l] |= std::uint8_t((q >> 4) << (2 * k));
            }
        }
        putHalf(out + 208, dh);
    }
}


}  // namespace atelier::engine::gguf
