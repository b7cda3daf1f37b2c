// Scalar reference of ggml's 1-bit lattice formats IQ1_S and IQ1_M (super-blocks of 256 against
// BlockQ8K): row decode, quantizer, and the integer dot products the SIMD levels reproduce.
// Layouts in gemm_quant.h; the grid is iq::kIq1sGrid and the shift iq::kIq1Delta.

#include <cmath>
#include <cstring>
#include <vector>

#include "atelier/kernels/gemm_quant.h"
#include "cpu/iq_grids.h"
#include "cpu/kquant_blocks.h"

namespace atelier::kernels {
namespace {

using kq::floatToHalf;

using iq::kIq1Delta;
using iq::kIq1sGrid;
using kq::halfToFloat;

// IQ1_S: f16 d, qs[32], u16 qh[8]. IQ1_M: qs[32], qh[16], u16 scales[4] (d in their top nibbles).
constexpr int kSBytes = 50, kSQs = 2, kSQh = 34;
constexpr int kMBytes = 56, kMQh = 32, kMScales = 48;
constexpr int kTernaryPoints = 6561;  // 3^8

int gridValue(int index, int i) { return std::int8_t(kIq1sGrid[index] >> (8 * i)); }

std::uint16_t loadU16(const std::uint8_t* p) {
    std::uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

void storeU16(std::uint8_t* p, std::uint16_t v) { std::memcpy(p, &v, 2); }

// IQ1_M's f16 d: bits 12..15 of scale word i are its bits 4i..4i+3.
std::uint16_t iq1mHalfBits(const std::uint8_t* scales) {
    std::uint16_t h = 0;
    for (int i = 0; i < 4; ++i) h = std::uint16_t(h | (loadU16(scales + 2 * i) >> 12) << (4 * i));
    return h;
}

// The 3^8 points with coordinates in {-1, 0, 1} (point code: sum of 3^i (v_i + 1)). A target
// rounds coordinate-wise to one of them; when that point is on the grid it is the nearest grid
// point, otherwise the nearest one is searched among the grid points close to it: every point off
// the grid has grid points at squared distance 1 or 2, and those within its smallest distance
// + 1 are kept (18 on average).
struct TernaryMap {
    float value[2048][8];                 // the grid decoded, for the error sums
    std::int16_t onGrid[kTernaryPoints];  // grid index, or -1
    std::vector<std::uint32_t> first;     // [kTernaryPoints + 1] ranges of `near`
    std::vector<std::uint16_t> near;
};

TernaryMap buildTernaryMap() {
    TernaryMap m;
    std::int8_t grid[2048][8];
    std::memset(m.onGrid, 0xff, sizeof m.onGrid);
    for (int e = 0; e < 2048; ++e) {
        int code = 0;
        for (int i = 7; i >= 0; --i) grid[e][i] = std::int8_t(gridValue(e, i)), code = 3 * code + grid[e][i] + 1;
        for (int i = 0; i < 8; ++i) m.value[e][i] = float(grid[e][i]);
        m.onGrid[code] = std::int16_t(e);
    }
    m.first.assign(kTernaryPoints + 1, 0);
    int dist[2048];
    for (int c = 0; c < kTernaryPoints; ++c) {
        m.first[std::size_t(c)] = std::uint32_t(m.near.size());
        if (m.onGrid[c] >= 0) continue;
        int v[8], dmin = 64;
        for (int i = 0, t = c; i < 8; ++i, t /= 3) v[i] = t % 3 - 1;
        for (int e = 0; e < 2048; ++e) {
            int d = 0;
            for (int i = 0; i < 8; ++i) d += (grid[e][i] - v[i]) * (grid[e][i] - v[i]);
            dist[e] = d;
            dmin = d < dmin ? d : dmin;
        }
        for (int e = 0; e < 2048; ++e)
            if (dist[e] <= dmin + 1) m.near.push_back(std::uint16_t(e));
    }
    m.first[kTernaryPoints] = std::uint32_t(m.near.size());
    return m;
}

const TernaryMap& ternaryMap() {
    static const TernaryMap m = buildTernaryMap();  // built once, on first use (thread-safe)
    return m;
}

struct GroupFit {
    int index;
    float err;
};

// The grid point nearest to 8 values x in units of `scale` after the shift (grid + shift):
// y = x - scale * shift is compared with scale * grid. scale > 0.
GroupFit fitGroup(const float* x, float scale, float shift) {
    const TernaryMap& m = ternaryMap();
    float y[8];
    int code = 0;
    for (int i = 7; i >= 0; --i) {
        y[i] = x[i] - scale * shift;
        code = 3 * code + (y[i] > 0.5f * scale ? 2 : y[i] < -0.5f * scale ? 0 : 1);
    }
    auto errorOf = [&](int e) {
        float s = 0.0f;
        for (int i = 0; i < 8; ++i) s += (y[i] - scale * m.value[e][i]) * (y[i] - scale * m.value[e][i]);
        return s;
    };
    if (m.onGrid[code] >= 0) return {m.onGrid[code], errorOf(m.onGrid[code])};
    GroupFit best{0, INFINITY};
    for (std::uint32_t k = m.first[std::size_t(code)]; k < m.first[std::size_t(code) + 1]; ++k) {
        const float err = errorOf(m.near[k]);
        if (err < best.err) best = {m.near[k], err};
    }
    return best;
}

// Grid points of n values (n / 8 groups) at one scale: IQ1_S shares the shift sign across its
// 32 values, IQ1_M picks it per group. neg[g]: group g's shift is -kIq1Delta.
float fitGroups(const float* x, int n, float scale, bool sharedShift, int* index, bool* neg) {
    float total = INFINITY;
    for (int g = 0; g < n / 8; ++g) index[g] = 0, neg[g] = false;
    if (sharedShift) {
        for (const bool ng : {false, true}) {
            int idx[4];
            float err = 0.0f;
            for (int g = 0; g < n / 8; ++g) {
                const GroupFit f = fitGroup(x + 8 * g, scale, ng ? -kIq1Delta : kIq1Delta);
                idx[g] = f.index, err += f.err;
            }
            if (!(err < total)) continue;
            total = err;
            for (int g = 0; g < n / 8; ++g) index[g] = idx[g], neg[g] = ng;
        }
        return total;
    }
    total = 0.0f;
    for (int g = 0; g < n / 8; ++g) {
        const GroupFit p = fitGroup(x + 8 * g, scale, kIq1Delta), q = fitGroup(x + 8 * g, scale, -kIq1Delta);
        index[g] = p.err <= q.err ? p.index : q.index;
        neg[g] = q.err < p.err;
        total += p.err <= q.err ? p.err : q.err;
    }
    return total;
}

// The scale (d·ls) that suits n values best before d is known: a sweep of candidates below the
// one that maps the largest magnitude onto the outer level 1 + delta, then least-squares refits
// of the best one on its grid points while they lower the error.
float bestFreeScale(const float* x, int n, bool sharedShift) {
    float amax = 0.0f;
    for (int i = 0; i < n; ++i) amax = std::fmax(amax, std::fabs(x[i]));
    if (!(amax > 0.0f)) return 0.0f;
    int index[4] = {};
    bool neg[4] = {};
    float best = INFINITY, scale = 0.0f;
    auto tryScale = [&](float s) {
        int idx[4];
        bool ng[4];
        const float err = fitGroups(x, n, s, sharedShift, idx, ng);
        if (!(err < best)) return false;
        best = err, scale = s;
        for (int g = 0; g < n / 8; ++g) index[g] = idx[g], neg[g] = ng[g];
        return true;
    };
    for (int k = 0; k < 6; ++k) tryScale(amax / (1.0f + kIq1Delta) * (0.2f + 0.16f * float(k)));
    for (int it = 0; it < 2; ++it) {
        float sxv = 0.0f, svv = 0.0f;
        for (int i = 0; i < n; ++i) {
            const float v = float(gridValue(index[i / 8], i % 8)) + (neg[i / 8] ? -kIq1Delta : kIq1Delta);
            sxv += x[i] * v, svv += v * v;
        }
        if (!(sxv > 0.0f) || !tryScale(sxv / svv)) break;
    }
    return scale;
}

// One super-block of 256 values quantized in runs of `run` values (IQ1_S: 32, IQ1_M: 16), each
// with its own odd multiplier ls of the shared f16 d. d puts the largest free scale at ls = 15;
// each run then takes the ls, grid points and shift signs of least squared error under the
// stored d. Returns d's bits; ls[r], index[g], neg[g] for runs r and groups g of 8.
std::uint16_t quantizeSuperBlock(const float* x, int run, int ls[16], int index[32], bool neg[32]) {
    float v[256], free[16], smax = 0.0f;
    for (int i = 0; i < 256; ++i) v[i] = std::isfinite(x[i]) ? x[i] : 0.0f;
    const int runs = 256 / run, perRun = run / 8;
    for (int r = 0; r < runs; ++r) smax = std::fmax(smax, free[r] = bestFreeScale(v + run * r, run, run == 32));
    const std::uint16_t bits = floatToHalf(smax / 15.0f);
    const float d = halfToFloat(reinterpret_cast<const std::uint8_t*>(&bits));
    for (int r = 0; r < runs; ++r) {
        ls[r] = 1;
        for (int g = 0; g < perRun; ++g) index[perRun * r + g] = 0, neg[perRun * r + g] = false;
        if (!(d > 0.0f) || !(free[r] > 0.0f)) continue;
        float best = INFINITY;
        // the odd multipliers on either side of the free scale, and one more to each side
        int hi = 1;
        while (hi < 15 && d * float(hi) < free[r]) hi += 2;
        for (int l = hi - 4 < 1 ? 1 : hi - 4; l <= hi + 2 && l <= 15; l += 2) {
            int idx[4];
            bool ng[4];
            const float err = fitGroups(v + run * r, run, d * float(l), run == 32, idx, ng);
            if (!(err < best)) continue;
            best = err, ls[r] = l;
            for (int g = 0; g < perRun; ++g) index[perRun * r + g] = idx[g], neg[perRun * r + g] = ng[g];
        }
    }
    return bits;
}

}  // namespace

void dequant_row_iq1_s_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n / 256; ++b, w += kSBytes) {
        const float d = halfToFloat(w);
        for (int j = 0; j < 8; ++j) {
            const int qh = loadU16(w + kSQh + 2 * j);
            const float dl = d * float(2 * ((qh >> 12) & 7) + 1);
            const float delta = qh & 0x8000 ? -kIq1Delta : kIq1Delta;
            for (int i = 0; i < 4; ++i, out += 8) {
                const int index = w[kSQs + 4 * j + i] | ((qh >> (3 * i)) & 7) << 8;
                for (int e = 0; e < 8; ++e) out[e] = dl * (float(gridValue(index, e)) + delta);
            }
        }
    }
}

void dequant_row_iq1_m_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n / 256; ++b, w += kMBytes) {
        const std::uint16_t bits = iq1mHalfBits(w + kMScales);
        const float d = halfToFloat(reinterpret_cast<const std::uint8_t*>(&bits));
        for (int g = 0; g < 32; ++g, out += 8) {
            const int p = g / 2, nib = w[kMQh + g / 2] >> (4 * (g % 2));
            const float dl = d * float(2 * ((loadU16(w + kMScales + 2 * (p / 4)) >> (3 * (p % 4))) & 7) + 1);
            const float delta = nib & 8 ? -kIq1Delta : kIq1Delta;
            const int index = w[g] | (nib & 7) << 8;
            for (int e = 0; e < 8; ++e) out[e] = dl * (float(gridValue(index, e)) + delta);
        }
    }
}

void quantize_row_iq1_s_ref(const float* x, std::int64_t n, std::uint8_t* out) {
    for (std::int64_t b = 0; b < n / 256; ++b, x += 256, out += kSBytes) {
        int ls[16], index[32];
        bool neg[32];
        storeU16(out, quantizeSuperBlock(x, 32, ls, index, neg));
        for (int j = 0; j < 8; ++j) {
            int qh = ((ls[j] - 1) / 2) << 12 | (neg[4 * j] ? 0x8000 : 0);
            for (int i = 0; i < 4; ++i) {
                out[kSQs + 4 * j + i] = std::uint8_t(index[4 * j + i]);
                qh |= (index[4 * j + i] >> 8) << (3 * i);
            }
            storeU16(out + kSQh + 2 * j, std::uint16_t(qh));
        }
    }
}

void quantize_row_iq1_m_ref(const float* x, std::int64_t n, std::uint8_t* out) {
    for (std::int64_t b = 0; b < n / 256; ++b, x += 256, out += kMBytes) {
        int ls[16], index[32];
        bool neg[32];
        const std::uint16_t bits = quantizeSuperBlock(x, 16, ls, index, neg);
        std::memset(out + kMQh, 0, 16);
        for (int g = 0; g < 32; ++g) {
            out[g] = std::uint8_t(index[g]);
            out[kMQh + g / 2] |= std::uint8_t(((index[g] >> 8) | (neg[g] ? 8 : 0)) << (4 * (g % 2)));
        }
        for (int i = 0; i < 4; ++i) {
            int word = ((bits >> (4 * i)) & 15) << 12;
            for (int k = 0; k < 4; ++k) word |= ((ls[4 * i + k] - 1) / 2) << (3 * k);
            storeU16(out + kMScales + 2 * i, std::uint16_t(word));
        }
    }
}

// Per sub-block: sumi += ls * (grid · q8), sumi1 += ls * sign * (sum of its q8, from bsums); the
// block adds d * a.d * (sumi + delta * sumi1), as ggml does.
float dot_iq1_s_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kSBytes) {
        std::int32_t sumi = 0, sumi1 = 0;
        for (int j = 0; j < 8; ++j) {
            const int qh = loadU16(w + kSQh + 2 * j), ls = 2 * ((qh >> 12) & 7) + 1;
            std::int32_t s = 0;
            for (int i = 0; i < 4; ++i) {
                const int index = w[kSQs + 4 * j + i] | ((qh >> (3 * i)) & 7) << 8;
                for (int e = 0; e < 8; ++e) s += gridValue(index, e) * a[b].qs[32 * j + 8 * i + e];
            }
            sumi += ls * s;
            sumi1 += ls * (qh & 0x8000 ? -1 : 1) * (a[b].bsums[2 * j] + a[b].bsums[2 * j + 1]);
        }
        sum += halfToFloat(w) * a[b].d * (float(sumi) + kIq1Delta * float(sumi1));
    }
    return sum;
}

// As IQ1_S with a scale per 16 values and a shift sign per 8 (whose code sums are summed here).
float dot_iq1_m_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kMBytes) {
        std::int32_t sumi = 0, sumi1 = 0;
        for (int g = 0; g < 32; ++g) {
            const int p = g / 2, nib = w[kMQh + g / 2] >> (4 * (g % 2));
            const int ls = 2 * ((loadU16(w + kMScales + 2 * (p / 4)) >> (3 * (p % 4))) & 7) + 1;
            const int index = w[g] | (nib & 7) << 8;
            std::int32_t s = 0, s1 = 0;
            for (int e = 0; e < 8; ++e) s += gridValue(index, e) * a[b].qs[8 * g + e], s1 += a[b].qs[8 * g + e];
            sumi += ls * s;
            sumi1 += ls * (nib & 8 ? -s1 : s1);
        }
        const std::uint16_t bits = iq1mHalfBits(w + kMScales);
        sum += halfToFloat(reinterpret_cast<const std::uint8_t*>(&bits)) * a[b].d * (float(sumi) + kIq1Delta * float(sumi1));
    }
    return sum;
}

}  // namespace atelier::kernels
