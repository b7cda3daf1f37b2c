// Scalar reference for the 2-bit lattice formats IQ2_XXS, IQ2_XS and IQ2_S (layouts in
// gemm_quant.h): row decode, the integer dot with Q8_K activations, and the round-to-nearest
// quantizers (no importance matrix).
//
// All three store, per group of 8 elements, one grid entry (8 unsigned magnitudes), 8 sign bits
// and a 4-bit scale s shared by 16 or 32 elements. The value is d * (2s + 1) / 8 * grid * sign,
// so the dot sums (2s + 1) * grid * sign * activation in int32 (at most 256 * 43 * 127 * 31, well
// inside int32) and scales the block once by d_w * d_a / 8.

#include <algorithm>
#include <bit>
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

constexpr int kXxsBytes = 66, kXsBytes = 74, kSBytes = 82;
constexpr int kQs = 2;                               // every format: f16 d, then qs
constexpr int kXsScales = 66;                        // IQ2_XS: after u16 qs[32]
constexpr int kSSigns = 34, kSQh = 66, kSScales = 74;  // IQ2_S: qs[32] indices, signs[32], qh, scales

// One group of 8 elements as the block stores it: its grid entry, the sign bits (bit i set =
// element i negative) and the odd multiplier 2s + 1 of its scale.
struct Group {
    std::uint64_t grid;
    std::uint8_t signs;
    int mul;
};

std::uint32_t load32(const std::uint8_t* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

std::uint16_t load16(const std::uint8_t* p) {
    std::uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

// Group g (0..31) of one block.
Group xxsGroup(const std::uint8_t* blk, int g) {
    const int j = g / 4, i = g % 4;
    const std::uint32_t indices = load32(blk + kQs + 8 * j), aux = load32(blk + kQs + 8 * j + 4);
    return {iq::kIq2xxsGrid[(indices >> (8 * i)) & 255], iq::signs8(std::uint8_t((aux >> (7 * i)) & 127)),
            int(2 * (aux >> 28) + 1)};
}

// IQ2_XS and IQ2_S share the scale layout: nibble (g / 2) % 2 of scales[g / 4].
int halfScaleMul(const std::uint8_t* scales, int g) { return 2 * ((scales[g / 4] >> (4 * ((g / 2) % 2))) & 15) + 1; }

Group xsGroup(const std::uint8_t* blk, int g) {
    const std::uint16_t q = load16(blk + kQs + 2 * g);
    return {iq::kIq2xsGrid[q & 511], iq::signs8(std::uint8_t(q >> 9)), halfScaleMul(blk + kXsScales, g)};
}

Group sGroup(const std::uint8_t* blk, int g) {
    const int index = blk[kQs + g] | (((blk[kSQh + g / 4] >> (2 * (g % 4))) & 3) << 8);
    return {iq::kIq2sGrid[index], blk[kSSigns + g], halfScaleMul(blk + kSScales, g)};
}

using GroupFn = Group (*)(const std::uint8_t*, int);

template <GroupFn groupOf, int kBytes>
void dequantRow(const std::uint8_t* w, std::int64_t n, float* out) {
    for (std::int64_t b = 0; b < n / kQK_K; ++b, w += kBytes) {
        const float d = halfToFloat(w);
        for (int g = 0; g < 32; ++g, out += 8) {
            const Group grp = groupOf(w, g);
            const float step = d * (float(grp.mul) * 0.125f);  // = d * (0.5 + s) * 0.25
            for (int k = 0; k < 8; ++k) {
                const float mag = step * float((grp.grid >> (8 * k)) & 255);
                out[k] = (grp.signs >> k) & 1 ? -mag : mag;
            }
        }
    }
}

template <GroupFn groupOf, int kBytes>
float dotRow(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    float sum = 0.0f;
    for (std::int64_t b = 0; b < nb; ++b, w += kBytes) {
        std::int32_t sumi = 0;
        for (int g = 0; g < 32; ++g) {
            const Group grp = groupOf(w, g);
            const std::int8_t* q = a[b].qs + 8 * g;
            std::int32_t s = 0;
            for (int k = 0; k < 8; ++k) {
                const int mag = int((grp.grid >> (8 * k)) & 255);
                s += (grp.signs >> k) & 1 ? -mag * q[k] : mag * q[k];
            }
            sumi += grp.mul * s;
        }
        sum += halfToFloat(w) * a[b].d * 0.125f * float(sumi);
    }
    return sum;
}

}  // namespace

void dequant_row_iq2_xxs_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    dequantRow<xxsGroup, kXxsBytes>(w, n, out);
}
void dequant_row_iq2_xs_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    dequantRow<xsGroup, kXsBytes>(w, n, out);
}
void dequant_row_iq2_s_ref(const std::uint8_t* w, std::int64_t n, float* out) {
    dequantRow<sGroup, kSBytes>(w, n, out);
}

float dot_iq2_xxs_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    return dotRow<xxsGroup, kXxsBytes>(w, a, nb);
}
float dot_iq2_xs_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    return dotRow<xsGroup, kXsBytes>(w, a, nb);
}
float dot_iq2_s_q8_k_ref(const std::uint8_t* w, const BlockQ8K* a, std::int64_t nb) {
    return dotRow<sGroup, kSBytes>(w, a, nb);
}

// ---- quantizers ----------------------------------------------------------------------------
//
// Per scale block (32 elements for IQ2_XXS, 16 for IQ2_XS and IQ2_S) a search over step sizes e
// (value = e * grid * sign) picks the one with the least squared error, each group of 8 taking
// its nearest grid entry (iq_neighbours.h); d then comes from the largest step (scale 15), and
// each block takes whichever of the scales next to its own step fits best at that d. Candidates
// are tried likeliest first and stop once they cannot win; ties go to the one an ascending sweep
// would meet first, so the result is the full sweep's.

namespace {

using Grid = iq::GridNeighbours<8, 3, 4>;  // magnitudes 8, 25, 43; 4 shells listed

struct Iq2Format {
    const Grid& grid;
    bool evenSigns;  // IQ2_XXS / IQ2_XS store 7 sign bits: the negatives must be even in number
    int scaleLen;    // elements per 4-bit scale
};

struct GroupFit {
    int index = 0;
    std::uint8_t signs = 0;
    float err = 0.0f;
};

// Group of 8 at step e > 0 with targets t = |x| / e: signs from the data, the nearest grid
// entry to t. With even signs and an odd count of negatives, the element whose flip costs least
// (4 |x_i| e g_i at the entry found) is flipped and the entry searched again with that target
// negated.
GroupFit fitGroup(const Grid& gs, const float* x, float e, const float* target, bool evenSigns) {
    GroupFit f;
    float t[8];
    for (int i = 0; i < 8; ++i) {
        t[i] = target[i];
        if (x[i] < 0.0f) f.signs = std::uint8_t(f.signs | (1u << i));
    }
    f.index = gs.nearest(t);
    if (evenSigns && (std::popcount(unsigned(f.signs)) & 1)) {
        int flip = 0;
        float cost = t[0] * gs.value(f.index, 0);
        for (int i = 1; i < 8; ++i) {
            const float c = t[i] * gs.value(f.index, i);
            flip = c < cost ? i : flip;  // branch-free: the pick is unpredictable
            cost = std::min(c, cost);
        }
        f.signs = std::uint8_t(f.signs ^ (1u << flip));
        t[flip] = -t[flip];
        f.index = gs.nearest(t);
    }
    for (int i = 0; i < 8; ++i) {
        const float diff = t[i] - gs.value(f.index, i);
        f.err += diff * diff;
    }
    f.err *= e * e;
    return f;
}

// The squared error of one scale block at step e, its groups' fits in `fits`. A step that
// cannot get below `limit` stops early and returns a value not below it: groups not yet fitted
// count with a lower bound of their error (that of rounding each target to its nearest level,
// less a margin for rounding).
float fitScaleBlock(const Iq2Format& f, const float* x, float e, GroupFit* fits, float limit = INFINITY) {
    const int groups = f.scaleLen / 8;
    float t[4][8], lower[4] = {};
    for (int g = 0; g < groups; ++g) {
        for (int i = 0; i < 8; ++i) t[g][i] = std::fabs(x[8 * g + i]) / e;
        if (limit < INFINITY) lower[g] = f.grid.roundingError(t[g]) * (e * e) * (1.0f - 1e-5f);
    }
    float err = 0.0f;
    for (int g = 0; g < groups; ++g) {
        float bound = err;
        for (int h = g; h < groups; ++h) bound += lower[h];
        if (!(bound < limit)) return bound;
        fits[g] = fitGroup(f.grid, x + 8 * g, e, t[g], f.evenSigns);
        err += fits[g].err;
    }
    return err;
}

// The step with the least error for one scale block (0 when it is all zeros): candidates put
// the largest |x| at 0.7, 0.8, .. 1.4 times the largest grid value (43), or on the middle one
// (25; so a block that is on the grid comes back exactly), then the best is refitted by least
// squares on its grid points and signs.
float bestStep(const Iq2Format& f, const float* x) {
    float amax = 0.0f;
    for (int i = 0; i < f.scaleLen; ++i) amax = std::max(amax, std::fabs(x[i]));
    if (amax == 0.0f) return 0.0f;
    GroupFit fits[4], bestFits[4];
    float bestE = 0.0f, bestErr = INFINITY;
    // Candidate c < 8 is the c-th multiple above, 8 the middle value; on equal errors the lower c
    // wins (bestC -1: none yet). The likeliest winners go first so that the others stop early.
    int bestC = -1;
    for (const int c : {6, 5, 7, 4, 3, 2, 1, 0, 8}) {
        const float e = c < 8 ? amax / (f.grid.maxLevel() * (0.7f + 0.1f * float(c))) : amax / 25.0f;
        const float limit = c < bestC ? std::nextafter(bestErr, INFINITY) : bestErr;
        const float err = fitScaleBlock(f, x, e, fits, limit);
        if (err < bestErr || (err == bestErr && c < bestC)) {
            bestErr = err, bestE = e, bestC = c;
            std::copy(fits, fits + 4, bestFits);
        }
    }
    float num = 0.0f, den = 0.0f;
    for (int i = 0; i < f.scaleLen; ++i) {
        const GroupFit& g = bestFits[i / 8];
        const float v = f.grid.value(g.index, i % 8);
        num += ((g.signs >> (i % 8)) & 1 ? -x[i] : x[i]) * v;
        den += v * v;
    }
    const float refit = den > 0.0f ? num / den : 0.0f;
    if (refit > 0.0f && fitScaleBlock(f, x, refit, fits, bestErr) < bestErr) return refit;
    return bestE;
}

using PackFn = void (*)(std::uint16_t d, const int* ls, const GroupFit* fits, std::uint8_t* out);

// One block of 256: scale codes ls per scale block and the group fits at d, packed by `pack`.
void quantizeBlock(const Iq2Format& f, const float* x, PackFn pack, std::uint8_t* out) {
    float v[kQK_K];  // finite and within what the format can hold (NaN reads as 0)
    for (int i = 0; i < kQK_K; ++i) v[i] = std::isnan(x[i]) ? 0.0f : std::clamp(x[i], -1.6e7f, 1.6e7f);
    const int blocks = kQK_K / f.scaleLen, groups = f.scaleLen / 8;
    float step[16], emax = 0.0f;
    for (int s = 0; s < blocks; ++s) emax = std::max(emax, step[s] = bestStep(f, v + s * f.scaleLen));
    int ls[16] = {};
    GroupFit fits[32];
    const std::uint16_t d = floatToHalf(std::min(emax * 8.0f / 31.0f, 65504.0f));
    const float dq = halfToFloat(reinterpret_cast<const std::uint8_t*>(&d));
    if (dq == 0.0f) return pack(0, ls, fits, out);  // all zeros (or below the smallest half)
    for (int s = 0; s < blocks; ++s) {
        const float nearest = std::clamp(std::round((8.0f * step[s] / dq - 1.0f) * 0.5f), 0.0f, 15.0f);
        float bestErr = INFINITY;
        GroupFit trial[4];
        int bestL = -1;  // none yet; on equal errors the lower scale wins
        for (const int l : {int(nearest), int(nearest) - 1, int(nearest) + 1}) {
            if (l < 0 || l > 15) continue;
            const float limit = l < bestL ? std::nextafter(bestErr, INFINITY) : bestErr;
            const float e = dq * float(2 * l + 1) * 0.125f;
            const float err = fitScaleBlock(f, v + s * f.scaleLen, e, trial, limit);
            if (err < bestErr || (err == bestErr && l < bestL)) {
                bestErr = err, bestL = l, ls[s] = l;
                std::copy(trial, trial + groups, fits + s * groups);
            }
        }
    }
    pack(d, ls, fits, out);
}

void putHalf(std::uint8_t* p, std::uint16_t h) { std::memcpy(p, &h, 2); }

void packXxs(std::uint16_t d, const int* ls, const GroupFit* fits, std::uint8_t* out) {
    std::memset(out, 0, kXxsBytes);
    putHalf(out, d);
    for (int j = 0; j < 8; ++j) {
        std::uint32_t indices = 0, aux = std::uint32_t(ls[j]) << 28;
        for (int i = 0; i < 4; ++i) {
            indices |= std::uint32_t(fits[4 * j + i].index) << (8 * i);
            aux |= std::uint32_t(fits[4 * j + i].signs & 127) << (7 * i);
        }
        std::memcpy(out + kQs + 8 * j, &indices, 4);
        std::memcpy(out + kQs + 8 * j + 4, &aux, 4);
    }
}

void packXs(std::uint16_t d, const int* ls, const GroupFit* fits, std::uint8_t* out) {
    std::memset(out, 0, kXsBytes);
    putHalf(out, d);
    for (int g = 0; g < 32; ++g) {
        const std::uint16_t q = std::uint16_t(fits[g].index | ((fits[g].signs & 127) << 9));
        std::memcpy(out + kQs + 2 * g, &q, 2);
    }
    for (int j = 0; j < 8; ++j) out[kXsScales + j] = std::uint8_t(ls[2 * j] | (ls[2 * j + 1] << 4));
}

void packS(std::uint16_t d, const int* ls, const GroupFit* fits, std::uint8_t* out) {
    std::memset(out, 0, kSBytes);
    putHalf(out, d);
    for (int g = 0; g < 32; ++g) {
        out[kQs + g] = std::uint8_t(fits[g].index & 255);
        out[kSQh + g / 4] = std::uint8_t(out[kSQh + g / 4] | ((fits[g].index >> 8) << (2 * (g % 4))));
        out[kSSigns + g] = fits[g].signs;
    }
    for (int j = 0; j < 8; ++j) out[kSScales + j] = std::uint8_t(ls[2 * j] | (ls[2 * j + 1] << 4));
}

template <int kBytes>
void quantizeRow(const Iq2Format& f, PackFn pack, const float* x, std::int64_t n, std::uint8_t* out) {
    for (std::int64_t b = 0; b < n / kQK_K; ++b) quantizeBlock(f, x + b * kQK_K, pack, out + b * kBytes);
}

}  // namespace

void quantize_row_iq2_xxs_ref(const float* x, std::int64_t n, std::uint8_t* out) {
    static const Grid grid(iq::kIq2xxsGrid, 256);
    quantizeRow<kXxsBytes>({grid, true, 32}, packXxs, x, n, out);
}
void quantize_row_iq2_xs_ref(const float* x, std::int64_t n, std::uint8_t* out) {
    static const Grid grid(iq::kIq2xsGrid, 512);
    quantizeRow<kXsBytes>({grid, true, 16}, packXs, x, n, out);
}
void quantize_row_iq2_s_ref(const float* x, std::int64_t n, std::uint8_t* out) {
    static const Grid grid(iq::kIq2sGrid, 1024);
    quantizeRow<kSBytes>({grid, false, 16}, packS, x, n, out);
}

}  // namespace atelier::kernels
