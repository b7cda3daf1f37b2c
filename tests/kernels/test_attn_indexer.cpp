// ctest-labels: unit
// The attention-with-sink kernel (attn_sink.h) and the indexer's scoring and top-k
// (indexer_score.h) at every dispatch level this CPU runs, against models written here in
// double precision from the formulas of model spec §4.3 and §5.2, on shapes that hit the
// vector tails (C, cI not multiples of 8 or 16), no entries at all (the sink alone), entries
// gathered out of order, and several heads. The scalar level must equal the `_ref` bit for
// bit; SIMD levels sum in another order and must agree to rounding. Top-k: highest first,
// ties to the lower index, k larger than n.

#include <QtTest>

#include <cstring>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "atelier/kernels/attn_sink.h"
#include "atelier/kernels/cpu_features.h"
#include "atelier/kernels/indexer_score.h"
#include "atelier/kernels/vec_ops.h"
#include "kernels/missing_levels.h"

using namespace atelier::kernels;
using atelier::kernels::test::MissingLevels;

namespace {

const IsaLevel kLevels[] = {IsaLevel::Scalar, IsaLevel::Avx2, IsaLevel::Avx512};

std::vector<float> randoms(std::size_t n, std::mt19937& rng, float scale = 1.0f) {
    std::vector<float> v(n);
    for (auto& x : v) x = std::uniform_real_distribution<float>(-scale, scale)(rng);
    return v;
}

}  // namespace

class AttnIndexerTest : public QObject {
    Q_OBJECT
private slots:
    void attentionWithSinkAtEveryLevelMatchesTheFormula() {
        MissingLevels missing;
        std::mt19937 rng(21);
        for (int H : {1, 3})
            for (int C : {16, 33, 64})
                for (std::int64_t n : {0, 1, 5, 130}) {
                    const std::vector<float> q = randoms(std::size_t(H * C), rng, 2.0f);
                    const std::vector<float> pool = randoms(std::size_t((n + 3) * C), rng);
                    const std::vector<float> sinks = randoms(std::size_t(H), rng, 3.0f);
                    std::vector<const float*> entries;  // gathered from a shuffled pool
                    for (std::int64_t j = 0; j < n; ++j)
                        entries.push_back(pool.data() + ((j * 7 + 2) % (n + 3)) * C);
                    const float scale = 1.0f / std::sqrt(float(C));
                    std::vector<double> want(std::size_t(H * C), 0.0);
                    for (int h = 0; h < H; ++h) {
                        std::vector<double> z(static_cast<std::size_t>(n));
                        double m = sinks[std::size_t(h)];
                        for (std::int64_t j = 0; j < n; ++j) {
                            double d = 0;
                            for (int i = 0; i < C; ++i) d += double(q[std::size_t(h * C + i)]) * entries[std::size_t(j)][i];
                            z[std::size_t(j)] = d * scale;
                            m = std::max(m, z[std::size_t(j)]);
                        }
                        double denom = std::exp(sinks[std::size_t(h)] - m);
                        for (std::int64_t j = 0; j < n; ++j) denom += std::exp(z[std::size_t(j)] - m);
                        for (std::int64_t j = 0; j < n; ++j)
                            for (int i = 0; i < C; ++i)
                                want[std::size_t(h * C + i)] += std::exp(z[std::size_t(j)] - m) / denom * entries[std::size_t(j)][i];
                    }
                    std::vector<float> ref(std::size_t(H * C)), z(std::size_t(H * n));
                    attn_sink_f32_ref(q.data(), H, C, entries.data(), n, sinks.data(), scale, z.data(), ref.data());
                    for (IsaLevel level : kLevels) {
                        if (!missing.runs(level)) continue;
                        const IsaLevel before = forceIsaLevel(level);
                        std::vector<float> o(std::size_t(H * C), 9.0f);
                        attn_sink_f32(q.data(), H, C, entries.data(), n, sinks.data(), scale, z.data(), o.data());
                        forceIsaLevel(before);
                        for (std::size_t i = 0; i < o.size(); ++i) {
                            QVERIFY(std::fabs(o[i] - want[i]) <= 2e-5);  // entries are at most 1
                            if (level == IsaLevel::Scalar) QCOMPARE(o[i], ref[i]);
                        }
                    }
                }
        ATELIER_SKIP_MISSING_LEVELS(missing);
    }

    void simdAttentionGivesTheBitsOfTheOneHeadLoops() {
        // The SIMD levels run several heads per entry load (attn_sink_simd.inl); every output
        // must be the bits of the one-head loops over that level's dot_f32 and axpy_f32: head
        // counts that fill tiles, leave a remainder or stop short of one (1, 3, 8, 11, 16),
        // widths with and without the tiles (16, 33, 64, 512), no entries, and a sink of NaN.
        struct SimdLevel {
            const char* name;
            IsaLevel level;
            float (*dot)(const float*, const float*, std::int64_t);
            void (*axpy)(float, const float*, float*, std::int64_t);
        };
        const SimdLevel levels[] = {{"AVX2", IsaLevel::Avx2, dot_f32_avx2, axpy_f32_avx2},
                                    {"AVX-512", IsaLevel::Avx512, dot_f32_avx512, axpy_f32_avx512}};
        MissingLevels missing;
        std::mt19937 rng(33);
        for (const SimdLevel& lv : levels) {
            if (!missing.runs(lv.level)) continue;
            for (int H : {1, 3, 8, 11, 16})
                for (int C : {16, 33, 64, 512})
                    for (std::int64_t n : {0, 1, 5, 130}) {
                        const std::vector<float> q = randoms(std::size_t(H * C), rng, 2.0f);
                        const std::vector<float> pool = randoms(std::size_t((n + 3) * C), rng);
                        std::vector<float> sinks = randoms(std::size_t(H), rng, 3.0f);
                        if (H == 11 && n == 5) sinks[2] = NAN;
                        std::vector<const float*> entries;
                        for (std::int64_t j = 0; j < n; ++j) entries.push_back(pool.data() + ((j * 7 + 2) % (n + 3)) * C);
                        const float scale = 1.0f / std::sqrt(float(C));
                        // The one-head loops (attn_sink.cpp's body) over the level's primitives.
                        std::vector<float> want(std::size_t(H * C));
                        for (int h = 0; h < H; ++h) {
                            std::vector<float> z(static_cast<std::size_t>(n));
                            float m = sinks[std::size_t(h)];
                            for (std::int64_t j = 0; j < n; ++j) {
                                z[std::size_t(j)] = lv.dot(q.data() + h * C, entries[std::size_t(j)], C) * scale;
                                m = std::max(m, z[std::size_t(j)]);
                            }
                            float denom = std::exp(sinks[std::size_t(h)] - m);
                            float* oh = want.data() + h * C;
                            for (std::int64_t j = 0; j < n; ++j) {
                                const float p = std::exp(z[std::size_t(j)] - m);
                                denom += p;
                                lv.axpy(p, entries[std::size_t(j)], oh, C);
                            }
                            const float inv = 1.0f / denom;
                            for (int i = 0; i < C; ++i) oh[i] *= inv;
                        }
                        std::vector<float> got(std::size_t(H * C), 9.0f), z(std::size_t(H * n + 1));
                        attn_sink_f32_at(lv.level, q.data(), H, C, entries.data(), n, sinks.data(), scale, z.data(), got.data());
                        QVERIFY2(std::memcmp(got.data(), want.data(), got.size() * 4) == 0,
                                 qPrintable(QString("%1 H=%2 C=%3 n=%4").arg(lv.name).arg(H).arg(C).arg(n)));
                    }
        }
        ATELIER_SKIP_MISSING_LEVELS(missing);
    }

    void indexerScoresAtEveryLevelMatchTheFormula() {
        MissingLevels missing;
        std::mt19937 rng(8);
        for (int nI : {1, 4})
            for (int cI : {16, 40, 128})
                for (std::int64_t n : {1, 9, 77}) {
                    const std::vector<float> q = randoms(std::size_t(nI * cI), rng);
                    const std::vector<float> w = randoms(std::size_t(nI), rng);
                    const std::vector<float> keys = randoms(std::size_t(n * cI), rng);
                    std::vector<float> ref(static_cast<std::size_t>(n));
                    indexer_score_f32_ref(q.data(), w.data(), nI, cI, keys.data(), n, ref.data());
                    for (IsaLevel level : kLevels) {
                        if (!missing.runs(level)) continue;
                        const IsaLevel before = forceIsaLevel(level);
                        std::vector<float> got(std::size_t(n + 1), 5.0f);
                        indexer_score_f32(q.data(), w.data(), nI, cI, keys.data(), n, got.data());
                        forceIsaLevel(before);
                        QCOMPARE(got[std::size_t(n)], 5.0f);
                        for (std::int64_t s = 0; s < n; ++s) {
                            double want = 0, mag = 0;
                            for (int h = 0; h < nI; ++h) {
                                double d = 0, dm = 0;
                                for (int i = 0; i < cI; ++i) {
                                    d += double(q[std::size_t(h * cI + i)]) * keys[std::size_t(s * cI + i)];
                                    dm += std::fabs(double(q[std::size_t(h * cI + i)]) * keys[std::size_t(s * cI + i)]);
                                }
                                want += w[std::size_t(h)] * std::max(d, 0.0);
                                mag += std::fabs(w[std::size_t(h)]) * dm;
                            }
                            QVERIFY(std::fabs(got[std::size_t(s)] - want) <= 1e-6 * mag + 1e-30);
                            if (level == IsaLevel::Scalar) QCOMPARE(got[std::size_t(s)], ref[std::size_t(s)]);
                        }
                    }
                }
        ATELIER_SKIP_MISSING_LEVELS(missing);
    }

    void simdScoresAreTheBitsOfTheKeyByKeyLoop() {
        // Four keys per pass must not change a score: each is the one-key loop over the
        // level's dot_f32 (groups of 4, the tail, and widths without the fast path: 16 floats
        // a step at AVX2, 32 at AVX-512).
        struct SimdLevel {
            const char* name;
            IsaLevel level;
            void (*score)(const float*, const float*, int, int, const float*, std::int64_t, float*);
            float (*dot)(const float*, const float*, std::int64_t);
        };
        const SimdLevel levels[] = {{"AVX2", IsaLevel::Avx2, indexer_score_f32_avx2, dot_f32_avx2},
                                    {"AVX-512", IsaLevel::Avx512, indexer_score_f32_avx512, dot_f32_avx512}};
        MissingLevels missing;
        std::mt19937 rng(12);
        for (const SimdLevel& lv : levels) {
            if (!missing.runs(lv.level)) continue;
            for (int cI : {16, 40, 48, 96, 128})
                for (std::int64_t n : {1, 4, 7, 77}) {
                    const int nI = 6;
                    const std::vector<float> q = randoms(std::size_t(nI * cI), rng);
                    const std::vector<float> w = randoms(std::size_t(nI), rng);
                    std::vector<float> keys = randoms(std::size_t(n * cI), rng);
                    if (n == 7) keys[std::size_t(5 * cI + 3)] = NAN;  // key 5: NaN stays NaN
                    std::vector<float> got(static_cast<std::size_t>(n));
                    lv.score(q.data(), w.data(), nI, cI, keys.data(), n, got.data());
                    for (std::int64_t s = 0; s < n; ++s) {
                        float want = 0;
                        for (int h = 0; h < nI; ++h)
                            want += w[std::size_t(h)] * std::max(lv.dot(q.data() + h * cI, keys.data() + s * cI, cI), 0.0f);
                        if (n == 7 && s == 5) {
                            QVERIFY(std::isnan(got[std::size_t(s)]));
                            continue;
                        }
                        QVERIFY2(std::memcmp(&got[std::size_t(s)], &want, 4) == 0,
                                 qPrintable(QString("%1 cI=%2 n=%3 s=%4: %5 vs %6").arg(lv.name).arg(cI).arg(n).arg(s).arg(got[std::size_t(s)]).arg(want)));
                    }
                }
        }
        ATELIER_SKIP_MISSING_LEVELS(missing);
    }

    void topkTakesTheHighestWithTiesToTheLowerIndex() {
        const std::vector<float> scores{0.5f, 2.0f, -1.0f, 2.0f, 0.5f, 3.0f, 0.5f, 0.0f};
        const std::int64_t n = std::int64_t(scores.size());
        std::vector<std::int32_t> idx(16, -1), order(static_cast<std::size_t>(n));
        QCOMPARE(topk_f32_ref(scores.data(), n, 5, idx.data(), order.data()), std::int64_t(5));
        const std::vector<std::int32_t> want{5, 1, 3, 0, 4};
        QVERIFY(std::equal(want.begin(), want.end(), idx.begin()));
        QCOMPARE(idx[5], -1);
        QCOMPARE(topk_f32_ref(scores.data(), n, 100, idx.data(), order.data()), n);
        const std::vector<std::int32_t> all{5, 1, 3, 0, 4, 6, 7, 2};
        QVERIFY(std::equal(all.begin(), all.end(), idx.begin()));
        // Many keys, mostly ties (a long context repeats scores): the first k of a stable sort
        // by descending score, for k from 1 to all of them.
        std::mt19937 rng(4);
        std::vector<float> many(5000);
        for (auto& v : many) v = float(int(rng() % 9) - 4) * 0.25f;
        std::vector<std::int32_t> sorted(many.size());
        std::iota(sorted.begin(), sorted.end(), 0);
        std::stable_sort(sorted.begin(), sorted.end(), [&](std::int32_t a, std::int32_t b) { return many[std::size_t(a)] > many[std::size_t(b)]; });
        std::vector<std::int32_t> top(many.size()), scratch(many.size());
        for (std::int64_t k : {1, 7, 512, 4999, 5000}) {
            QCOMPARE(topk_f32_ref(many.data(), std::int64_t(many.size()), k, top.data(), scratch.data()), k);
            QVERIFY2(std::equal(top.begin(), top.begin() + k, sorted.begin()), qPrintable(QString("k=%1").arg(k)));
        }
        // Split into parts at random points, each part's top k, then the top k among those
        // candidates (the forward's indexer across the pool): the same indices in the same order.
        const std::int64_t n5 = std::int64_t(many.size());
        for (int parts : {2, 3, 7}) {
            for (std::int64_t k : {1, 7, 512, 4999}) {
                std::vector<std::int64_t> cuts{0, n5};
                for (int p = 1; p < parts; ++p) cuts.push_back(std::int64_t(rng() % std::uint32_t(n5)));
                std::sort(cuts.begin(), cuts.end());
                std::vector<std::int32_t> cand;
                for (int p = 0; p < parts; ++p) {
                    std::vector<std::int32_t> range(std::size_t(cuts[p + 1] - cuts[p]));
                    std::iota(range.begin(), range.end(), std::int32_t(cuts[p]));
                    const auto found = topk_among(many.data(), range.data(), std::int64_t(range.size()), k, range.data());
                    cand.insert(cand.end(), range.begin(), range.begin() + found);
                }
                std::shuffle(cand.begin(), cand.end(), rng);
                QCOMPARE(topk_among(many.data(), cand.data(), std::int64_t(cand.size()), k, top.data()), k);
                QVERIFY2(std::equal(top.begin(), top.begin() + k, sorted.begin()),
                         qPrintable(QString("parts=%1 k=%2").arg(parts).arg(k)));
            }
        }
    }
};

QTEST_APPLESS_MAIN(AttnIndexerTest)
#include "test_attn_indexer.moc"
