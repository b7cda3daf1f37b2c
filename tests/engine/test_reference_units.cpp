// ctest-labels: unit
// The reference forward's spec-level primitives (model spec §13 item 5): Sinkhorn, the YaRN
// table, interleaved RoPE, FP8/FP4 simulation, Hadamard, sink attention and per-channel pooling,
// each checked against a hand computation or an invariant written out here from the spec.

#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include <QtTest>

#include "../../engine/src/reference/reference_math.h"
#include "atelier/engine/model_config.h"

using namespace atelier::engine;
using namespace atelier::engine::reference;

namespace {

Vec randomVec(std::size_t n, unsigned seed, double scale = 1.0) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> dist(0.0, scale);
    Vec v(n);
    for (double& x : v) x = dist(rng);
    return v;
}

double dot(const Vec& a, const Vec& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

}  // namespace

class TestReferenceUnits : public QObject {
    Q_OBJECT
private slots:
    void sinkhornIsDoublyStochastic() {
        // The model's 20 iterations end on a column normalisation: columns sum to 1 up to eps,
        // rows approximately; more iterations converge to a doubly stochastic matrix.
        for (unsigned seed = 1; seed <= 5; ++seed) {
            const Vec logits = randomVec(16, seed, 2.0);
            for (const auto& [iters, rowTol] : {std::pair{20, 1e-2}, std::pair{200, 1e-5}}) {
                const Vec m = sinkhorn(logits, 4, iters, 1e-6);
                for (int j = 0; j < 4; ++j) {
                    double row = 0, col = 0;
                    for (int k = 0; k < 4; ++k) {
                        QVERIFY(m[std::size_t(j * 4 + k)] > 0);
                        row += m[std::size_t(j * 4 + k)];
                        col += m[std::size_t(k * 4 + j)];
                    }
                    QVERIFY2(std::abs(row - 1) < rowTol, qPrintable(QString::number(row)));
                    QVERIFY2(std::abs(col - 1) < 1e-5, qPrintable(QString::number(col)));
                }
            }
        }
    }

    void sinkhornFollowsTheKernelOrder() {
        // One iteration = row softmax + eps, then one column normalisation (spec §3 step 5).
        const double eps = 1e-3;
        const Vec logits{0.0, std::log(3.0), 0.0, 0.0};
        const Vec m = sinkhorn(logits, 2, 1, eps);
        const double a = 0.25 + eps, b = 0.75 + eps, c = 0.5 + eps, d = 0.5 + eps;
        const Vec want{a / (a + c + eps), b / (b + d + eps), c / (a + c + eps), d / (b + d + eps)};
        for (std::size_t i = 0; i < 4; ++i) QVERIFY(std::abs(m[i] - want[i]) < 1e-12);
    }

    void yarnTableHasLow15High25() {
        const double theta = 160000, orig = 65536;
        const auto dimFor = [&](double n) {
            return 64 * std::log(orig / (2 * std::numbers::pi * n)) / (2 * std::log(theta));
        };
        const double low = std::max(std::floor(dimFor(32)), 0.0);
        const double high = std::min(std::ceil(dimFor(1)), 63.0);
        QCOMPARE(low, 15.0);
        QCOMPARE(high, 25.0);

        const YarnParams yarn{16.0, orig, 32.0, 1.0};
        const Vec f = ropeFrequencies(64, theta, &yarn);
        QCOMPARE(f.size(), std::size_t(32));
        for (int i = 0; i < 32; ++i) {
            const double base = std::pow(theta, -2.0 * i / 64);
            double want = base;                       // pairs <= 15 unchanged
            if (i >= 25) want = base / 16;            // pairs >= 25 divided by the factor
            else if (i > 15) {                        // blended in between
                const double ramp = (i - 15) / 10.0;
                want = base * (1 - ramp) + base / 16 * ramp;
            }
            QVERIFY2(std::abs(f[std::size_t(i)] - want) <= 1e-12 * base, qPrintable(QString::number(i)));
        }
    }

    void layerTablesFollowTheCompressRatio() {
        const ModelConfig c = *presetConfig("tiny");  // ratios 0, 4, 128, 4
        const Vec swa = layerRopeFrequencies(c, 0);
        for (int i = 0; i < 32; ++i)
            QVERIFY(std::abs(swa[std::size_t(i)] - std::pow(10000.0, -2.0 * i / 64)) < 1e-15);
        const YarnParams yarn{16.0, 65536.0, 32.0, 1.0};
        QCOMPARE(layerRopeFrequencies(c, 1), ropeFrequencies(64, 160000, &yarn));
        QCOMPARE(layerRopeFrequencies(c, 2), ropeFrequencies(64, 160000, &yarn));
    }

    void ropeRotatesInterleavedPairs() {
        const Vec f = ropeFrequencies(64, 10000, nullptr);
        Vec x(64, 0.0);
        x[0] = 1.0;  // pair 0 has frequency 1: angle = pos
        applyRope(x, f, 1.0, false);
        QVERIFY(std::abs(x[0] - std::cos(1.0)) < 1e-15);
        QVERIFY(std::abs(x[1] - std::sin(1.0)) < 1e-15);
        for (std::size_t i = 2; i < 64; ++i) QCOMPARE(x[i], 0.0);

        const Vec orig = randomVec(64, 3);
        Vec y = orig;
        applyRope(y, f, 37.0, false);
        for (std::size_t i = 0; i < 32; ++i) {
            const double before = std::hypot(orig[2 * i], orig[2 * i + 1]);
            QVERIFY(std::abs(std::hypot(y[2 * i], y[2 * i + 1]) - before) < 1e-12);
        }
        applyRope(y, f, 37.0, true);
        for (std::size_t i = 0; i < 64; ++i) QVERIFY(std::abs(y[i] - orig[i]) < 1e-12);
    }

    void ropeScoresDependOnRelativePosition() {
        const YarnParams yarn{};
        const Vec f = ropeFrequencies(64, 160000, &yarn);
        const Vec q0 = randomVec(64, 4), k0 = randomVec(64, 5);
        auto at = [&](Vec v, double pos) { applyRope(v, f, pos, false); return v; };
        const double a = dot(at(q0, 50), at(k0, 20));
        const double b = dot(at(q0, 1030), at(k0, 1000));
        QVERIFY(std::abs(a - b) < 1e-9);
    }

    void fp8MatchesHandTable() {
        // amax 448 -> scale 1; e4m3 round-to-nearest-even.
        const Vec v{448.0, 1.0, 1.0625, 1.1875, 300.0, -std::exp2(-9.0), 0.0};
        std::vector<std::uint8_t> codes(v.size());
        QCOMPARE(quantizeFp8Block(v, codes), 1.0);
        const std::vector<std::uint8_t> wantCodes{0x7e, 0x38, 0x38, 0x3a, 0x79, 0x81, 0x00};
        QCOMPARE(codes, wantCodes);
        Vec sim = v;
        fp8Simulate(sim, 64);
        QCOMPARE(sim, (Vec{448.0, 1.0, 1.0, 1.25, 288.0, -std::exp2(-9.0), 0.0}));
    }

    void fp8ScaleIsTheNextPowerOfTwo() {
        std::vector<std::uint8_t> code(1);
        const auto scaleOf = [&](double amax) { return quantizeFp8Block(Vec{amax}, code); };
        QCOMPARE(scaleOf(1.0), std::exp2(-8.0));    // 1/448 -> 2^ceil(-8.8)
        QCOMPARE(scaleOf(56.0), std::exp2(-3.0));   // exactly 448·2^-3
        QCOMPARE(scaleOf(449.0), 2.0);
        QCOMPARE(scaleOf(0.0), std::exp2(-22.0));   // amax clamped at 1e-4
        // Blocks are independent: a large value in block 0 pushes its small values into
        // e4m3's subnormal range; the same value in block 1 keeps its own scale.
        Vec v(128, 0.0);
        v[0] = 400.0;
        v[1] = 0.001;   // scale 1: subnormal step 2^-9, 0.512 steps -> 1 step
        v[64] = 0.3;    // block 1 scale 2^-10
        v[65] = 0.001;  // 1.024 -> 1.0 -> 2^-10
        fp8Simulate(v, 64);
        QCOMPARE(v[1], std::exp2(-9.0));
        QCOMPARE(v[65], std::exp2(-10.0));
        QCOMPARE(v[64], 0.3125);  // 307.2 -> 320 (step 32)
    }

    void fp4MatchesHandTable() {
        Vec v(32, 0.0);
        const Vec head{6.0, 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, -2.6, -6.0, -0.25};
        std::copy(head.begin(), head.end(), v.begin());
        std::vector<std::uint8_t> codes(32);
        QCOMPARE(quantizeFp4Block(v, codes), 1.0);
        // Ties go to the even code: 0.25->0 (code 0), 0.75->1 (2), 1.25->1 (2), 1.75->2 (4),
        // 2.5->2 (4), 3.5->4 (6), 5->4 (6); negatives set bit 3.
        const std::vector<std::uint8_t> want{7, 0, 2, 2, 4, 4, 6, 6, 13, 15, 8};
        for (std::size_t i = 0; i < want.size(); ++i) QCOMPARE(int(codes[i]), int(want[i]));
        fp4Simulate(v, 32);
        const Vec values{6, 0, 1, 1, 2, 2, 4, 4, -3, -6, 0};
        for (std::size_t i = 0; i < values.size(); ++i) QCOMPARE(std::abs(v[i]), std::abs(values[i]));
    }

    void fp4ScaleIsTheNextPowerOfTwo() {
        std::vector<std::uint8_t> code(1);
        QCOMPARE(quantizeFp4Block(Vec{3.0}, code), 0.5);
        QCOMPARE(int(code[0]), 7);
        Vec v{7.0, 1.0};
        fp4Simulate(v, 32);
        QCOMPARE(v, (Vec{8.0, 1.0}));  // scale 2: 3.5 ties to 4 (even code), 0.5 exact
        QCOMPARE(quantizeFp4Block(Vec{0.0}, code), std::exp2(-126.0));
    }

    void hadamardIsOrthogonalSylvester() {
        const std::size_t n = 128;
        std::vector<Vec> cols;
        for (std::size_t j = 0; j < n; ++j) {
            Vec e(n, 0.0);
            e[j] = 1.0;
            hadamard(e);
            for (std::size_t i = 0; i < n; ++i) {
                const double sign = std::popcount(i & j) % 2 ? -1.0 : 1.0;
                QCOMPARE(e[i], sign / std::sqrt(double(n)));
            }
            cols.push_back(e);
        }
        for (std::size_t a = 0; a < n; ++a)
            for (std::size_t b = 0; b < n; ++b)
                QVERIFY(std::abs(dot(cols[a], cols[b]) - (a == b ? 1.0 : 0.0)) < 1e-12);
        const Vec x = randomVec(n, 9);
        Vec y = x;
        hadamard(y);
        hadamard(y);  // normalised: its own inverse (unnormalised: H·H = n·I)
        for (std::size_t i = 0; i < n; ++i) QVERIFY(std::abs(y[i] - x[i]) < 1e-12);
    }

    void sinkAttentionMatchesTheFormula() {
        const Vec q = randomVec(8, 11), e1 = randomVec(8, 12), e2 = randomVec(8, 13);
        const double sink = 0.7, scale = 1.0 / std::sqrt(8.0);
        const Vec o = sinkAttention(q, {&e1, &e2}, sink, scale);
        const double w1 = std::exp(dot(q, e1) * scale), w2 = std::exp(dot(q, e2) * scale);
        const double den = w1 + w2 + std::exp(sink);
        for (std::size_t i = 0; i < 8; ++i)
            QVERIFY(std::abs(o[i] - (w1 * e1[i] + w2 * e2[i]) / den) < 1e-14);
        // The window alone (no compressed entry visible) decides the output with the sink.
        QCOMPARE(sinkAttention(q, {&e1, &e2}, sink, scale), o);
    }

    void hugeSinkDrivesTheOutputToZero() {
        const Vec q = randomVec(8, 21), e1 = randomVec(8, 22);
        const Vec o = sinkAttention(q, {&e1}, 1000.0, 0.5);
        for (double v : o) QVERIFY(std::abs(v) < 1e-300);
        const Vec none = sinkAttention(q, {}, 0.0, 0.5);
        for (double v : none) QCOMPARE(v, 0.0);
        // A sink of -inf is plain softmax: one entry gives the entry itself.
        const Vec plain = sinkAttention(q, {&e1}, -std::numeric_limits<double>::infinity(), 0.5);
        for (std::size_t i = 0; i < 8; ++i) QVERIFY(std::abs(plain[i] - e1[i]) < 1e-15);
    }

    void perChannelPoolingMatchesHand() {
        const double inf = std::numeric_limits<double>::infinity();
        const Rows values{{1, 2, 3}, {4, 5, 6}};
        const Rows scores{{0, std::log(2.0), -inf}, {std::log(3.0), 0, 0}};
        const Vec e = poolPerChannel(values, scores);
        // ch0: weights 1/4, 3/4; ch1: 2/3, 1/3; ch2: 0, 1.
        QVERIFY(std::abs(e[0] - 3.25) < 1e-14);
        QVERIFY(std::abs(e[1] - 3.0) < 1e-14);
        QVERIFY(std::abs(e[2] - 6.0) < 1e-14);
    }

    void rmsNormMatchesTheFormula() {
        const Vec x{3.0, 4.0};
        const Vec y = rmsNorm(x, Vec{2.0, 0.5}, 0.0);
        const double rms = std::sqrt(12.5);
        QVERIFY(std::abs(y[0] - 2 * 3 / rms) < 1e-15);
        QVERIFY(std::abs(y[1] - 0.5 * 4 / rms) < 1e-15);
    }
};

QTEST_APPLESS_MAIN(TestReferenceUnits)
#include "test_reference_units.moc"
