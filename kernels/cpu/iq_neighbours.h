#pragma once
// The grid entry nearest to a target for the lattice quantizers (IQ2: 8 magnitudes per entry
// from 3 levels; IQ3: 4 from 8 levels), without scoring the whole grid on every call. Internal
// to the kernels library.
//
// Every element of an entry is one of kLevels magnitudes, so the squared distance is a sum over
// elements, and the nearest of all kLevels^kDims level combinations is the target rounded
// element-wise (its "point"). When the point is on the grid it is the answer. Otherwise the
// entries are scored shell by shell, by their distance from the point in level steps: first the
// fewest steps away (d0), then d0 + 1, ... (lists built once per point). An entry n steps away
// adds to the point's distance at least the gaps of the elements it changes (what each one's
// second-nearest level adds) plus a least cost per further step, so the search stops once the
// best entry so far is nearer than anything in the shells left could be. Past the listed shells
// it scores every entry. The answer is the nearest entry, ties to the lowest index (up to float
// rounding of near-ties), as a scan of the whole grid gives.
//
// Built once (a function-local static of the caller) and read-only afterwards: any thread may
// call the const members.

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <vector>

namespace atelier::kernels::iq {

template <int kDims, int kLevels, int kShells>
class GridNeighbours {
public:
    static_assert(kDims == 4 || kDims == 8, "sortAscending has networks for 4 and 8");

    // `count` entries, element i's magnitude in byte i (exactly kLevels distinct magnitudes).
    template <class Entry>
    GridNeighbours(const Entry* grid, int count) : m_size(count) {
        buildShells(readGrid(grid));
    }

    int size() const { return m_size; }
    float value(int entry, int i) const { return m_value[std::size_t(entry * kDims + i)]; }
    float maxLevel() const { return m_level[kLevels - 1]; }

    // The squared distance from t to the nearest combination of levels: no entry is nearer.
    float roundingError(const float* t) const {
        float least[kDims], sum = 0.0f;
        for (int i = 0; i < kDims; ++i) least[i] = INFINITY;
        for (int l = 0; l < kLevels; ++l)
            for (int i = 0; i < kDims; ++i) least[i] = std::min(least[i], (t[i] - m_level[l]) * (t[i] - m_level[l]));
        for (int i = 0; i < kDims; ++i) sum += least[i];
        return sum;
    }

    // The entry nearest t (kDims values in grid units).
    int nearest(const float* t) const {
        int code = 0, rank[kDims] = {};
        for (int c = 0; c < kLevels - 1; ++c)
            for (int i = 0; i < kDims; ++i) rank[i] += t[i] > m_cut[c];
        for (int i = kDims - 1; i >= 0; --i) code = kLevels * code + rank[i];
        const int entry = m_onGrid[std::size_t(code)];
        return entry >= 0 ? entry : nearestOffGrid(t, rank, code);
    }

private:
    static constexpr int kPoints = [] {  // level combinations
        int p = 1;
        for (int i = 0; i < kDims; ++i) p *= kLevels;
        return p;
    }();
    static constexpr int kMaxDistance = kDims * (kLevels - 1);  // in level steps

    // Scores are |v|² - 2 t·v; `base` is the point's, so score - base is what an entry adds.
    int nearestOffGrid(const float* t, const int* rank, int code) const {
        float t2[kDims], base = 0.0f, tol = m_maxNorm;
        for (int i = 0; i < kDims; ++i) {
            const float level = m_level[rank[i]];
            t2[i] = 2.0f * t[i];
            base += level * (level - t2[i]);
            tol += std::fabs(t2[i]) * maxLevel();  // tol: bound on the rounding of a score
        }
        tol *= 1e-5f;
        const int d0 = m_nearestSteps[std::size_t(code)];
        float atLeast[kMaxDistance + 1];  // [n]: the least an entry n steps away adds
        stepBounds(t, std::min(d0 + kShells, kMaxDistance), atLeast);
        int best = -1;
        float bestScore = INFINITY;
        const std::uint32_t* shellEnd = &m_shell[std::size_t(code) * kShells];
        std::uint32_t j = code > 0 ? shellEnd[-1] : 0;
        for (int s = 0; s < kShells; ++s) {
            for (; j < shellEnd[s]; ++j) {  // branch-free: the winner is unpredictable
                const int e = m_near[j];
                const float score = scoreOf(e, t2);
                const bool better = score < bestScore || (score == bestScore && e < best);
                bestScore = better ? score : bestScore;
                best = better ? e : best;
            }
            const int left = d0 + s + 1;  // the distance of every entry not yet scored
            if (best >= 0 && (left > kMaxDistance || bestScore - base + tol < atLeast[left])) return best;
        }
        return scanAll(t2);
    }

    // atLeast[n] for n <= upTo: an entry n level steps from the point changes some j >= 1
    // elements; each adds at least its gap (what its second-nearest level adds: weight * |t -
    // cut| at the cut next to it, the other cuts giving more) and each further step at least
    // m_stepCost. So it adds at least the j smallest gaps + (n - j) m_stepCost for some j.
    void stepBounds(const float* t, int upTo, float* atLeast) const {
        float gap[kDims], sum[kDims + 1];
        for (int i = 0; i < kDims; ++i) gap[i] = INFINITY;
        for (int c = 0; c < kLevels - 1; ++c)
            for (int i = 0; i < kDims; ++i) gap[i] = std::min(gap[i], m_cutWeight[c] * std::fabs(t[i] - m_cut[c]));
        sortAscending(gap);
        sum[0] = 0.0f;
        for (int j = 0; j < kDims; ++j) sum[j + 1] = sum[j] + gap[j];
        atLeast[0] = 0.0f;
        for (int n = 1; n <= upTo; ++n) {
            atLeast[n] = INFINITY;
            for (int j = 1; j <= std::min(n, kDims); ++j)
                atLeast[n] = std::min(atLeast[n], sum[j] + m_stepCost * float(n - j));
        }
    }

    // |v|² - 2 t·v (t2 = 2 t): the squared distance less |t|², one product at a time.
    float scoreOf(int e, const float* t2) const {
        const float* v = &m_value[std::size_t(e * kDims)];
        float score = m_norm[std::size_t(e)];
        for (int i = 0; i < kDims; ++i) score -= t2[i] * v[i];
        return score;
    }

    // Every entry (the first of equal scores).
    int scanAll(const float* t2) const {
        int best = 0;
        float bestScore = INFINITY;
        for (int e = 0; e < m_size; ++e) {
            const float score = scoreOf(e, t2);
            if (score < bestScore) bestScore = score, best = e;
        }
        return best;
    }

    // A sorting network (branch-free, and NaN cannot make it read out of bounds).
    static void sortAscending(float* v) {
        auto order = [v](int a, int b) {
            const float lo = std::min(v[a], v[b]), hi = std::max(v[a], v[b]);
            v[a] = lo, v[b] = hi;
        };
        if constexpr (kDims == 8) {
            static constexpr int kPairs[19][2] = {{0, 2}, {1, 3}, {4, 6}, {5, 7}, {0, 4}, {1, 5}, {2, 6},
                                                  {3, 7}, {0, 1}, {2, 3}, {4, 5}, {6, 7}, {2, 4}, {3, 5},
                                                  {1, 4}, {3, 6}, {1, 2}, {3, 4}, {5, 6}};
            for (const auto& p : kPairs) order(p[0], p[1]);
        } else {
            static_assert(kDims == 4);
            order(0, 1), order(2, 3), order(0, 2), order(1, 3), order(1, 2);
        }
    }

    // Levels, cuts, step cost, values and the on-grid map; returns each entry's level ranks
    // (element i in byte i).
    template <class Entry>
    std::vector<std::uint64_t> readGrid(const Entry* grid) {
        bool seen[256] = {};
        for (int e = 0; e < m_size; ++e)
            for (int i = 0; i < kDims; ++i) seen[(grid[e] >> (8 * i)) & 255] = true;
        int rankOf[256] = {}, levels = 0;
        for (int m = 0; m < 256; ++m)
            if (seen[m] && levels < kLevels) rankOf[m] = levels, m_level[levels++] = float(m);
        for (int c = 0; c < kLevels - 1; ++c) {
            m_cut[c] = 0.5f * (m_level[c] + m_level[c + 1]);
            m_cutWeight[c] = 2.0f * (m_level[c + 1] - m_level[c]);
        }
        // A step from level a to b, further from a point whose level is r, adds (b - a) * |a + b -
        // 2 t|, least with t on the cut of r towards them.
        m_stepCost = INFINITY;
        for (int r = 0; r < kLevels; ++r)
            for (int a = 0; a < kLevels; ++a)
                for (const int b : {a - 1, a + 1}) {
                    if (b < 0 || b >= kLevels || a == r || (a - r) * (b - a) < 0) continue;
                    const float cut = m_cut[a > r ? r : r - 1];
                    const float step = std::fabs(m_level[b] - m_level[a]);
                    m_stepCost = std::min(m_stepCost, step * std::fabs(m_level[a] + m_level[b] - 2.0f * cut));
                }
        m_value.resize(std::size_t(m_size * kDims));
        m_norm.assign(std::size_t(m_size), 0.0f);
        m_onGrid.assign(kPoints, -1);
        std::vector<std::uint64_t> ranks(std::size_t(m_size), 0);
        for (int e = 0; e < m_size; ++e) {
            int code = 0;
            for (int i = kDims - 1; i >= 0; --i) {
                const int m = int((grid[e] >> (8 * i)) & 255);
                m_value[std::size_t(e * kDims + i)] = float(m);
                m_norm[std::size_t(e)] += float(m * m);
                ranks[std::size_t(e)] |= std::uint64_t(rankOf[m]) << (8 * i);
                code = kLevels * code + rankOf[m];
            }
            m_maxNorm = std::max(m_maxNorm, m_norm[std::size_t(e)]);
            m_onGrid[std::size_t(code)] = std::int16_t(e);
        }
        return ranks;
    }

    // The level steps between two rank words.
    static int levelSteps(std::uint64_t a, std::uint64_t b) {
        int steps = 0;
        for (int i = 0; i < kDims; ++i) steps += std::abs(int((a >> (8 * i)) & 255) - int((b >> (8 * i)) & 255));
        return steps;
    }

    // Per point off the grid: d0 and its shells d0 .. d0 + kShells - 1, entries ascending.
    void buildShells(const std::vector<std::uint64_t>& entryRanks) {
        m_nearestSteps.assign(kPoints, 0);
        m_shell.assign(std::size_t(kPoints) * kShells, 0);
        std::vector<int> steps(entryRanks.size());
        for (int code = 0; code < kPoints; ++code) {
            std::uint64_t ranks = 0;
            for (int i = 0, c = code; i < kDims; ++i, c /= kLevels) ranks |= std::uint64_t(c % kLevels) << (8 * i);
            int d0 = kMaxDistance;
            for (int e = 0; e < m_size; ++e)
                d0 = std::min(d0, steps[std::size_t(e)] = levelSteps(ranks, entryRanks[std::size_t(e)]));
            for (int s = 0; s < kShells; ++s) {
                if (m_onGrid[std::size_t(code)] < 0)
                    for (int e = 0; e < m_size; ++e)
                        if (steps[std::size_t(e)] == d0 + s) m_near.push_back(std::uint16_t(e));
                m_shell[std::size_t(code) * kShells + std::size_t(s)] = std::uint32_t(m_near.size());
            }
            m_nearestSteps[std::size_t(code)] = std::uint8_t(d0);
        }
    }

    int m_size;
    float m_level[kLevels] = {};          // the magnitudes, ascending
    float m_cut[kLevels - 1] = {};        // midpoints between neighbouring levels
    float m_cutWeight[kLevels - 1] = {};  // twice the step across each cut
    float m_stepCost = 0.0f;              // the least a level step past an element's first adds
    float m_maxNorm = 0.0f;               // the largest |entry|²
    std::vector<float> m_value;           // [m_size][kDims] magnitudes
    std::vector<float> m_norm;            // [m_size] |entry|²
    std::vector<std::int16_t> m_onGrid;   // [kPoints] entry at the point, or -1
    std::vector<std::uint8_t> m_nearestSteps;  // [kPoints] d0: steps to the nearest entries
    std::vector<std::uint32_t> m_shell;   // [kPoints][kShells] end of each shell in m_near
    std::vector<std::uint16_t> m_near;    // entries, point by point, shell by shell, ascending
};

}  // namespace atelier::kernels::iq
