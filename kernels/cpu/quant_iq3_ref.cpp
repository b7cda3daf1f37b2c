// IQ3_XXS and IQ3_S reference kernels (layouts in gemm_quant.h): the exact decode, a
// round-to-nearest lattice quantizer (nearest grid entry per 4 magnitudes via iq_neighbours.h,
// signs from the data, a few scale candidates per sub-block) and the integer dot product with
// Q8_K activations.

#include <algorithm>
#include <cmath>
#include <cstring>

#include "atelier/kernels/gemm_quant.h"
#include "cpu/iq_grids.h"
#include "cpu/iq_neighbours.h"
#include "cpu/kquant_blocks.h"

namespace atelier::kernels {
namespace {

using kq::floatToHalf;

using kq::halfToFloat;

// IQ3_XXS: f16 d, qs[64], aux u32[8] (signs and scales).
constexpr int kXxsQs = 2, kXxsAux = 66, kXxsBytes = 98;
// IQ3_S: f16 d, qs[64], qh[8], signs[32], scales[4].
constexpr int kSQs = 2, kSQh = 66, kSSigns = 74, kSScales = 106, kSBytes = 110;

std::uint32_t loadU32(const std::uint8_t* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

int gridByte(std::uint32_t entry, int i) { return int((entry >> (8 * i)) & 0xffu); }

// Magnitude and sign (+1 / -1) of element e of one block.
int xxsMagnitude(const std::uint8_t* w, int e) { return gridByte(iq::kIq3xxsGrid[w[kXxsQs + e / 4]], e % 4); }
int xxsSign(const std::uint8_t* w, int e) {
    const std::uint32_t aux = loadU32(w + kXxsAux + 4 * (e / 32));
    return (iq::signs8(std::uint8_t((aux >> (7 * ((e % 32) / 8))) & 127)) >> (e % 8)) & 1 ? -1 : 1;
}
int sIndex(const std::uint8_t* w, int t) { return w[kSQs + t] | ((w[kSQh + t / 8] >> (t % 8)) & 1) << 8; }
int sMagnitude(const std::uint8_t* w, int e) { return gridByte(iq::kIq3sGrid[sIndex(w, e / 4)], e % 4); }
int sSign(const std::uint8_t* w, int e) { return (w[kSSigns + e / 8] >> (e % 8)) & 1 ? -1 : 1; }
int sScale(const std::uint8_t* w, int j) { return (w[kSScales + j / 2] >> (4 * (j % 2))) & 15; }

// round(v) clamped to [lo, hi]; NaN gives lo (no undefined int conversion).
int clampRound(float v, int lo, int hi) {
    return int(std::fmin(std::fmax(std::nearbyint(v), float(lo)), float(hi)));
}

// ---- the quantizer ---------------------------------------------------------------------------

using Grid = iq::GridNeighbours<4, 8, 3>;  // 8 magnitudes; 3 shells listed

struct Lattice {
    const Grid& grid;
    bool evenSigns;  // IQ3_XXS: the eighth sign is the parity of the other seven
};

Lattice xxsLattice() {
    static const Grid grid(iq::kIq3xxsGrid, 256);  // built once, on first use (thread-safe)
    return {grid, true};
}
Lattice sLattice() {
    static const Grid grid(iq::kIq3sGrid, 512);
    return {grid, false};
}

// One 32-element sub-block stored at a fixed scale: its grid entries, sign bytes, squared
// error, and the sums for a least-squares refit of the scale (x·v, v·v with v = sign·grid).
struct SubBlock {
    std::uint16_t entry[8];
    std::uint8_t signs[4];
    float err, xv, vv;
};

// Stops early once err reaches `limit` (a scale that cannot win; err is then a partial sum).
SubBlock quantizeSub(const Lattice& l, const float* x, float scale, float limit = INFINITY) {
    SubBlock s{};
    const float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
    for (int g = 0; g < 4 && !(s.err >= limit); ++g) {  // groups of 8: two entries, one sign byte
        const float* xg = x + 8 * g;
        float mag[8];
        int neg = 0;
        for (int i = 0; i < 8; ++i) neg |= (xg[i] < 0.0f) << i;
        for (int h = 0; h < 2; ++h) {
            float m[4];
            for (int i = 0; i < 4; ++i) m[i] = std::fabs(xg[4 * h + i]) * inv;
            s.entry[2 * g + h] = std::uint16_t(l.grid.nearest(m));
            for (int i = 0; i < 4; ++i) mag[4 * h + i] = l.grid.value(s.entry[2 * g + h], i);
        }
        if (l.evenSigns && __builtin_parity(unsigned(neg))) {
            // An odd count of negatives: flip the element whose flip costs least (4·|x|·scale·grid).
            int flip = 0;
            float cost = std::fabs(xg[0]) * mag[0];
            for (int i = 1; i < 8; ++i) {
                const float c = std::fabs(xg[i]) * mag[i];
                flip = c < cost ? i : flip;  // branch-free: the pick is unpredictable
                cost = std::min(c, cost);
            }
            neg ^= 1 << flip;
        }
        s.signs[g] = std::uint8_t(neg);
        for (int i = 0; i < 8; ++i) {
            const float v = (neg >> i) & 1 ? -mag[i] : mag[i];
            const float e = xg[i] - scale * v;
            s.err += e * e, s.xv += xg[i] * v, s.vv += v * v;
        }
    }
    return s;
}

// The real scale of one sub-block with the least squared error among candidates that put its
// largest magnitude at a few grid levels, each followed by one least-squares refit.
float bestSubScale(const Lattice& l, const float* x) {
    float amax = 0.0f, best = 0.0f, bestErr = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i])), bestErr += x[i] * x[i];
    if (!(amax > 0.0f) || !std::isfinite(amax)) return 0.0f;
    for (float top : {1.0f, 0.87f, 0.74f, 0.61f}) {  // of the largest grid magnitude
        float scale = amax / (top * l.grid.maxLevel());
        for (int pass = 0; pass < 2 && scale > 0.0f; ++pass) {  // the refit only counts if it wins
            const SubBlock s = quantizeSub(l, x, scale, pass == 1 ? bestErr : INFINITY);
            if (s.err < bestErr) bestErr = s.err, best = scale;
            scale = s.vv > 0.0f ? s.xv / s.vv : 0.0f;
        }
    }
    return best;
}

// A super-block: f16 d and per sub-block its 4-bit scale ls and lattice points.
struct LatticeBlock {
    std::uint16_t dh = 0;
    int ls[8] = {};
    SubBlock sub[8] = {};
};

// The scale of a sub-block as the decoders compute it: d * (2·ls + 1) / 4 for IQ3_XXS, d *
// (2·ls + 1) for IQ3_S.
float storedScale(const Lattice& l, float d, int ls) {
    return l.evenSigns ? d * (0.5f + float(ls)) * 0.5f : d * float(1 + 2 * ls);
}

LatticeBlock quantizeLattice(const Lattice& l, const float* x) {
    const float unit = l.evenSigns ? 0.25f : 1.0f;
    LatticeBlock q;
    float want[8], maxScale = 0.0f;
    for (int j = 0; j < 8; ++j) maxScale = std::max(maxScale, want[j] = bestSubScale(l, x + 32 * j));
    q.dh = floatToHalf(maxScale / (31.0f * unit));
    const float d = halfToFloat(reinterpret_cast<const std::uint8_t*>(&q.dh));
    for (int j = 0; j < 8; ++j) {
        const float* xj = x + 32 * j;
        const int r = d > 0.0f ? clampRound((want[j] / (d * unit) - 1.0f) * 0.5f, 0, 15) : 0;
        q.sub[j].err = INFINITY;
        // r and its neighbours, r first so that the others can stop early; on equal errors the
        // lower ls wins, as in an ascending sweep (bestLs -1: none yet).
        int bestLs = -1;
        for (const int ls : {r, r - 1, r + 1}) {
            if (ls < 0 || ls > 15) continue;
            const float err = q.sub[j].err, limit = ls < bestLs ? std::nextafter(err, INFINITY) : err;
            const SubBlock s = quantizeSub(l, xj, storedScale(l, d, ls), limit);
            if (s.err < err || (s.err == err && ls < bestLs)) q.sub[j] = s, q.ls[j] = bestLs = ls;
        }
    }
    return q;
}

}  // namespace

// ---- IQ3_XXS ---------------------------------------------------------------------------------

void dequant_row_iq3_xxs_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n / 256; ++b, w += kXxsBytes, out += 256) {
        const float d = halfToFloat(w);
        for (int e = 0; e < 256; ++e) {
            const float db = d * (0.5f + float(loadU32(w + kXxsAux + 4 * (e / 32)) >> 28)) * 0.5f;
            out[e] = db * float(xxsMagnitude(w, e)) * float(xxsSign(w, e));
        }
    }
}

void quantize_row_iq3_xxs_ref(const float* x, std::int64_t n, std::uint8_t* out) {
    for (std::int64_t b = 0; b < n / 256; ++b, out += kXxsBytes) {
        const LatticeBlock q = quantizeLattice(xxsLattice(), x + 256 * b);
        std::memcpy(out, &q.dh, 2);
        for (int j = 0; j < 8; ++j) {
            std::uint32_t aux = std::uint32_t(q.ls[j]) << 28;
            for (int g = 0; g < 4; ++g) aux |= std::uint32_t(q.sub[j].signs[g] & 127) << (7 * g);
            for (int t = 0; t < 8; ++t) out[kXxsQs + 8 * j + t] = std::uint8_t(q.sub[j].entry[t]);
            std::memcpy(out + kXxsAux + 4 * j, &aux, 4);
        }
    }
}

float dot_iq3_xxs_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kXxsBytes) {
        std::int32_t sumi = 0;
        for (int j = 0; j < 8; ++j) {
            std::int32_t s = 0;
            for (int e = 32 * j; e < 32 * j + 32; ++e) s += xxsSign(w, e) * xxsMagnitude(w, e) * a[b].qs[e];
            sumi += s * int(2 * (loadU32(w + kXxsAux + 4 * j) >> 28) + 1);
        }
        sum += a[b].d * halfToFloat(w) * 0.25f * float(sumi);  // (0.5 + ls) * 0.5 = (2ls + 1) / 4
    }
    return sum;
}

// ---- IQ3_S -----------------------------------------------------------------------------------

void dequant_row_iq3_s_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n / 256; ++b, w += kSBytes, out += 256) {
        const float d = halfToFloat(w);
        for (int e = 0; e < 256; ++e) {
            const float db = d * float(1 + 2 * sScale(w, e / 32));
            out[e] = db * float(sMagnitude(w, e)) * float(sSign(w, e));
        }
    }
}

void quantize_row_iq3_s_ref(const float* x, std::int64_t n, std::uint8_t* out) {
    for (std::int64_t b = 0; b < n / 256; ++b, out += kSBytes) {
        const LatticeBlock q = quantizeLattice(sLattice(), x + 256 * b);
        std::memset(out, 0, kSBytes);
        std::memcpy(out, &q.dh, 2);
        for (int j = 0; j < 8; ++j) {
            for (int i = 0; i < 8; ++i) {
                const int t = 8 * j + i, entry = q.sub[j].entry[i];
                out[kSQs + t] = std::uint8_t(entry & 255);
                out[kSQh + j] |= std::uint8_t((entry >> 8) << i);
            }
            std::memcpy(out + kSSigns + 4 * j, q.sub[j].signs, 4);
            out[kSScales + j / 2] |= std::uint8_t(q.ls[j] << (4 * (j % 2)));
        }
    }
}

float dot_iq3_s_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kSBytes) {
        std::int32_t sumi = 0;
        for (int j = 0; j < 8; ++j) {
            std::int32_t s = 0;
            for (int e = 32 * j; e < 32 * j + 32; ++e) s += sSign(w, e) * sMagnitude(w, e) * a[b].qs[e];
            sumi += s * (1 + 2 * sScale(w, j));
        }
        sum += a[b].d * halfToFloat(w) * float(sumi);
    }
    return sum;
}

}  // namespace atelier::kernels
