// ctest-labels: unit
// Q8_0 and MXFP4 weights against int8 activations (gemm_q8.h): the AVX2 activation rounding
// gives the reference's bits (ties, zero and tiny blocks, NaN and infinity); the integer block
// dot equals the f64 dot of the decoded weights and activations, including the -128 weight code
// that vpsignb cannot negate and MXFP4 scales from 2^-127 to 2^73 and NaN; every level (AVX-512
// VNNI included) matches the scalar reference on odd shapes, token tiles and token blocks; a
// token's result is the same bits alone and at any place in a batch; and the whole product stays
// within the activation rounding bound of the f32 product (gemm.h's, on the same stored bytes).

#include <QtTest>

#include <cmath>
#include <cstring>
#include <iterator>
#include <random>
#include <vector>

#include "atelier/kernels/cpu_features.h"
#include "atelier/kernels/gemm.h"
#include "atelier/kernels/gemm_q8.h"
#include "gemm_test_weights.h"

using namespace atelier::kernels;

namespace {

std::vector<float> normals(std::size_t n, std::mt19937& rng, float scale = 1.0f) {
    std::normal_distribution<float> nd(0.0f, scale);
    std::vector<float> x(n);
    for (auto& v : x) v = nd(rng);
    return x;
}

std::vector<BlockQ8A> rounded(const std::vector<float>& x, std::int64_t T, std::int64_t cols) {
    std::vector<BlockQ8A> q(std::size_t(T * cols / kQ8Block));
    for (std::int64_t t = 0; t < T; ++t)
        quantize_row_q8a_ref(x.data() + t * cols, cols, q.data() + t * cols / kQ8Block);
    return q;
}

using Gemm = void (*)(IsaLevel, const std::uint8_t*, std::int64_t, std::int64_t, std::int64_t,
                     const BlockQ8A*, std::int64_t, float*, std::int64_t, bool);
Gemm gemmFor(WeightFormat f) { return f == WeightFormat::Q8_0 ? &gemm_q8_0_q8a : &gemm_mxfp4_q8a; }
const char* nameOf(WeightFormat f) { return f == WeightFormat::Q8_0 ? "q8_0" : "mxfp4"; }
std::size_t blockBytes(WeightFormat f) { return f == WeightFormat::Q8_0 ? 34 : 17; }

// The levels a product can run at, with the name a skip reports. The VNNI kernels are picked
// inside the AVX2 level (AVX-VNNI) and the AVX-512 level (AVX-512 VNNI) when the CPU has them;
// "AVX2" and "AVX-512" alone clear allowVnni.
struct Level {
    const char* name;
    IsaLevel isa;
    bool vnni;
};
constexpr Level kLevels[] = {
    {"scalar", IsaLevel::Scalar, false},
    {"AVX2", IsaLevel::Avx2, false},
    {"AVX-VNNI", IsaLevel::Avx2, true},
    {"AVX-512", IsaLevel::Avx512, false},
    {"AVX-512 VNNI", IsaLevel::Avx512, true},
};

bool levelRuns(const Level& l) {
    if (!isaSupported(l.isa)) return false;
    if (!l.vnni) return true;
    return l.isa == IsaLevel::Avx512 ? cpuFeatures().avx512vnni : cpuFeatures().avxvnni;
}

// Skips the running test (a data row) with the level's name when this CPU lacks it.
#define SKIP_UNLESS_RUNS(l) \
    if (!levelRuns(l)) QSKIP(qPrintable(QStringLiteral("%1 not available on this CPU").arg((l).name)))

// Weight value of element k of a stored Q8_0 row.
float q8Weight(const std::uint8_t* row, std::int64_t k) {
    const std::uint8_t* blk = row + (k / 32) * 34;
    std::uint16_t h;
    std::memcpy(&h, blk, 2);
    const int exp = (h >> 10) & 31, mant = h & 1023;  // makeStored writes finite halves
    const float d = exp == 0 ? std::ldexp(float(mant), -24) : std::ldexp(float(1024 + mant), exp - 25);
    return (h & 0x8000 ? -d : d) * float(std::int8_t(blk[2 + k % 32]));
}

// Weight value of element k of a stored MXFP4 row (ggml: element j low nibble, j + 16 high).
float mxfp4Weight(const std::uint8_t* row, std::int64_t k) {
    static constexpr float kE2m1[16] = {0, .5f, 1, 1.5f, 2, 3, 4, 6, -0.0f, -.5f, -1, -1.5f, -2, -3, -4, -6};
    const std::uint8_t* blk = row + (k / 32) * 17;
    const int j = int(k % 32);
    const int code = j < 16 ? blk[1 + j] & 15 : blk[1 + j - 16] >> 4;
    return std::ldexp(kE2m1[code], int(blk[0]) - 127);
}

float weight(WeightFormat f, const std::uint8_t* row, std::int64_t k) {
    return f == WeightFormat::Q8_0 ? q8Weight(row, k) : mxfp4Weight(row, k);
}

// Σ |w_k · a_k| of one row and one token: the scale of the float rounding in their dot.
double magnitude(WeightFormat f, const std::uint8_t* row, const BlockQ8A* a, std::int64_t cols) {
    double m = 0;
    for (std::int64_t k = 0; k < cols; ++k)
        m += std::fabs(double(weight(f, row, k)) * a[k / 32].d * a[k / 32].qs[k % 32]);
    return m;
}

}  // namespace

class TestGemmQ8 : public QObject {
    Q_OBJECT
private slots:
    void simdActivationRoundingEqualsTheReference() {
        if (!isaSupported(IsaLevel::Avx2)) QSKIP("no AVX2");
        std::mt19937 rng(5);
        const std::int64_t blocks = 7, n = blocks * 32;
        std::vector<float> x = normals(std::size_t(n), rng);
        for (int i = 0; i < 32; ++i) x[std::size_t(32 + i)] = float(i * 8 - 127) + (i % 2 ? 0.5f : 0.0f);
        x[32 + 31] = 127.0f;  // amax 127: scale 1, so the .5 values above are exact ties
        for (int i = 0; i < 32; ++i) x[std::size_t(64 + i)] = 0.0f;     // an all-zero block
        for (int i = 0; i < 32; ++i) x[std::size_t(96 + i)] *= 1e-30f;  // tiny
        x[128 + 3] = NAN;                                               // a NaN block
        x[160 + 30] = -INFINITY;                                        // an infinite one
        std::vector<BlockQ8A> want(blocks), got(blocks);
        quantize_row_q8a_ref(x.data(), n, want.data());
        quantize_row_q8a_avx2(x.data(), n, got.data());
        for (std::size_t b = 0; b < std::size_t(blocks); ++b) {
            QVERIFY2(std::memcmp(&got[b].d, &want[b].d, 4) == 0 || (std::isnan(got[b].d) && std::isnan(want[b].d)),
                     qPrintable(QString("block %1 scale %2 vs %3").arg(b).arg(got[b].d).arg(want[b].d)));
            QVERIFY2(std::memcmp(got[b].qs, want[b].qs, 32) == 0, qPrintable(QString("block %1 codes").arg(b)));
        }
        QCOMPARE(int(got[1].qs[1]), -119);  // x = -118.5 rounds away from zero
        QCOMPARE(got[2].d, 0.0f);
        QVERIFY(std::isnan(got[4].d) && std::isnan(got[5].d));
        QCOMPARE(int(got[4].qs[0]), 0);
    }

    void integerDotMatchesDecodedDot() {
        std::mt19937 rng(7);
        const std::int64_t nb = 6, n = nb * 32;
        const auto w = gemm_test::makeStored(WeightFormat::Q8_0, 1, n, rng);
        std::vector<std::uint8_t> row = w.data;
        for (int i = 0; i < 32; ++i) row[34 * 2 + 2 + i] = 0x80;  // block 2 all -128
        const std::vector<float> x = normals(std::size_t(n), rng);
        const auto xq = rounded(x, 1, n);
        double want = 0, mag = 0;
        for (std::int64_t k = 0; k < n; ++k) {
            const double a = double(xq[std::size_t(k / 32)].d) * xq[std::size_t(k / 32)].qs[k % 32];
            want += double(q8Weight(row.data(), k)) * a;
            mag += std::fabs(double(q8Weight(row.data(), k)) * a);
        }
        const float ref = dot_q8_0_q8a_ref(row.data(), xq.data(), nb);
        QVERIFY2(std::fabs(ref - want) <= 1e-5 * mag, qPrintable(QString("%1 vs %2").arg(ref).arg(want)));
        for (const Level& lv : kLevels) {
            if (!levelRuns(lv)) continue;  // the level's own rows below skip by name
            float y = 0;
            gemm_q8_0_q8a(lv.isa, row.data(), n, 0, 1, xq.data(), 1, &y, 1, lv.vnni);
            QVERIFY2(std::fabs(y - want) <= 1e-5 * mag, qPrintable(QString("%1: %2 vs %3").arg(lv.name).arg(y).arg(want)));
        }
    }

    void mxfp4IntegerDotMatchesDecodedDot() {
        std::mt19937 rng(9);
        const std::int64_t nb = 5, n = nb * 32;
        auto w = gemm_test::makeStored(WeightFormat::MXFP4, 1, n, rng);
        w.data[0] = 0;        // 2^-127: half of it is a subnormal
        w.data[17] = 1;
        w.data[34] = 200;     // 2^73
        const std::vector<float> x = normals(std::size_t(n), rng);
        const auto xq = rounded(x, 1, n);
        double want = 0, mag = 0;
        for (std::int64_t k = 64; k < n; ++k) {  // blocks 2..4: 2^73 and moderate scales
            const double a = double(xq[std::size_t(k / 32)].d) * xq[std::size_t(k / 32)].qs[k % 32];
            want += double(mxfp4Weight(w.data.data(), k)) * a;
            mag += std::fabs(double(mxfp4Weight(w.data.data(), k)) * a);
        }
        const float ref = dot_mxfp4_q8a_ref(w.data.data() + 34, xq.data() + 2, 3);
        QVERIFY2(std::fabs(ref - want) <= 1e-5 * mag, qPrintable(QString("%1 vs %2").arg(ref).arg(want)));
        for (const Level& lv : kLevels) {
            if (!levelRuns(lv)) continue;  // the level's own rows below skip by name
            float big = 0, tiny = 0;
            gemm_mxfp4_q8a(lv.isa, w.data.data() + 34, n - 64, 0, 1, xq.data() + 2, 1, &big, 1, lv.vnni);
            QVERIFY2(std::fabs(big - want) <= 1e-5 * mag, qPrintable(QString("%1: %2 vs %3").arg(lv.name).arg(big).arg(want)));
            // Blocks 0 and 1: scales 2^-127 and 2^-126, products far below f32's normal range
            // but not flushed: the same as the reference.
            gemm_mxfp4_q8a(lv.isa, w.data.data(), 64, 0, 1, xq.data(), 1, &tiny, 1, lv.vnni);
            QCOMPARE(tiny, dot_mxfp4_q8a_ref(w.data.data(), xq.data(), 2));
        }
        w.data[17 * 3] = 255;  // NaN scale: the product is NaN, as the f32 product
        for (const Level& lv : kLevels) {
            if (!levelRuns(lv)) continue;
            float y = 0;
            gemm_mxfp4_q8a(lv.isa, w.data.data(), n, 0, 1, xq.data(), 1, &y, 1, lv.vnni);
            QVERIFY2(std::isnan(y), lv.name);
        }
    }

    void everyLevelMatchesTheReference_data() {
        QTest::addColumn<int>("format");
        QTest::addColumn<int>("level");
        for (WeightFormat f : {WeightFormat::Q8_0, WeightFormat::MXFP4})
            for (int l = 1; l < int(std::size(kLevels)); ++l)
                QTest::newRow(qPrintable(QStringLiteral("%1 %2").arg(nameOf(f), kLevels[l].name))) << int(f) << l;
    }
    void everyLevelMatchesTheReference() {
        QFETCH(int, format);
        QFETCH(int, level);
        const auto f = WeightFormat(format);
        const Level& lv = kLevels[level];
        SKIP_UNLESS_RUNS(lv);
        std::mt19937 rng(11);
        for (std::int64_t nb : {1, 2, 7})
            for (std::int64_t rows : {1, 3, 4, 5, 17})
                for (std::int64_t T : {1, 2, 3, 4, 5, 66, 131}) {
                    const std::int64_t cols = nb * 32, r0 = rows > 2 ? 1 : 0;
                    const auto w = gemm_test::makeStored(f, rows, cols, rng);
                    const auto xq = rounded(normals(std::size_t(T * cols), rng), T, cols);
                    const std::int64_t ldy = rows + 2;
                    std::vector<float> ref(std::size_t(T * ldy), -7.0f);
                    gemmFor(f)(IsaLevel::Scalar, w.data.data(), cols, r0, rows, xq.data(), T, ref.data(), ldy, false);
                    std::vector<float> y(std::size_t(T * ldy), -7.0f);
                    gemmFor(f)(lv.isa, w.data.data(), cols, r0, rows, xq.data(), T, y.data(), ldy, lv.vnni);
                    for (std::size_t i = 0; i < y.size(); ++i) {
                        const std::int64_t t = std::int64_t(i) / ldy, r = std::int64_t(i) % ldy + r0;
                        const double mag = r < rows ? magnitude(f, w.data.data() + std::size_t(r * nb) * blockBytes(f), xq.data() + t * nb, cols) : 0.0;
                        QVERIFY2(std::fabs(ref[i] - y[i]) <= 1e-6 * mag,
                                 qPrintable(QString("%1 %2 nb=%3 rows=%4 T=%5 i=%6: %7 vs %8").arg(nameOf(f), lv.name)
                                                .arg(nb).arg(rows).arg(T).arg(i).arg(ref[i]).arg(y[i])));
                    }
                }
    }

    void tokenResultDoesNotDependOnTheBatch_data() {
        QTest::addColumn<int>("format");
        QTest::addColumn<int>("level");
        for (WeightFormat f : {WeightFormat::Q8_0, WeightFormat::MXFP4})
            for (int l = 0; l < int(std::size(kLevels)); ++l)
                QTest::newRow(qPrintable(QStringLiteral("%1 %2").arg(nameOf(f), kLevels[l].name))) << int(f) << l;
    }
    void tokenResultDoesNotDependOnTheBatch() {
        QFETCH(int, format);
        QFETCH(int, level);
        const auto f = WeightFormat(format);
        const Level& lv = kLevels[level];
        SKIP_UNLESS_RUNS(lv);
        // Tiles of 2 (VNNI: 4) tokens, blocks of 64, rows one by one up to 4 tokens and in panels
        // of 4 beyond, an odd block count (VNNI: pairs of blocks and a single last one): a token
        // alone, first, second or in the tail of a batch gives the same bits (issue #4: output
        // does not depend on the batch).
        std::mt19937 rng(17);
        for (std::int64_t cols : {96, 224}) {
            const std::int64_t rows = 9, nb = cols / 32;
            const auto w = gemm_test::makeStored(f, rows, cols, rng);
            const auto xq = rounded(normals(std::size_t(67 * cols), rng), 67, cols);
            for (std::int64_t T : {2, 3, 4, 5, 67}) {
                std::vector<float> all(std::size_t(T * rows));
                gemmFor(f)(lv.isa, w.data.data(), cols, 0, rows, xq.data(), T, all.data(), rows, lv.vnni);
                for (std::int64_t t = 0; t < T; ++t) {
                    std::vector<float> one(static_cast<std::size_t>(rows));
                    gemmFor(f)(lv.isa, w.data.data(), cols, 0, rows, xq.data() + t * nb, 1, one.data(), rows, lv.vnni);
                    QVERIFY2(std::memcmp(one.data(), all.data() + t * rows, std::size_t(rows) * 4) == 0,
                             qPrintable(QString("%1 %2 cols=%3 T=%4 token %5").arg(nameOf(f), lv.name)
                                            .arg(cols).arg(T).arg(t)));
                }
            }
        }
    }

    // AVX-VNNI sums each block with one vpdpbusd where AVX2 pairs with vpmaddubsw: the same
    // integer sums (a -128 code and +-127 activations included, where a pair reaches 32512), so
    // every result is the AVX2 kernel's bits, in decode (row by row) and panel tiles alike.
    void avxVnniGivesTheAvx2Bits() {
        if (!isaSupported(IsaLevel::Avx2) || !cpuFeatures().avxvnni) QSKIP("AVX-VNNI not available on this CPU");
        std::mt19937 rng(23);
        for (WeightFormat f : {WeightFormat::Q8_0, WeightFormat::MXFP4}) {
            const std::int64_t rows = 9, cols = 224, nb = cols / 32;
            auto w = gemm_test::makeStored(f, rows, cols, rng);
            if (f == WeightFormat::Q8_0) std::memset(w.data.data() + 2, 0x80, 32);  // row 0, block 0: all -128
            for (std::int64_t T : {1, 3, 8, 67}) {
                auto xq = rounded(normals(std::size_t(T * cols), rng), T, cols);
                for (int k = 0; k < 32; ++k) xq[0].qs[k] = std::int8_t(k % 2 ? 127 : -127);
                std::vector<float> plain(std::size_t(T * rows)), vnni(std::size_t(T * rows));
                gemmFor(f)(IsaLevel::Avx2, w.data.data(), cols, 0, rows, xq.data(), T, plain.data(), rows, false);
                gemmFor(f)(IsaLevel::Avx2, w.data.data(), cols, 0, rows, xq.data(), T, vnni.data(), rows, true);
                QVERIFY2(std::memcmp(plain.data(), vnni.data(), plain.size() * 4) == 0,
                         qPrintable(QString("%1 T=%2 nb=%3").arg(nameOf(f)).arg(T).arg(nb)));
            }
        }
    }

    void staysWithinActivationRoundingOfTheF32Product_data() {
        QTest::addColumn<int>("format");
        QTest::newRow("q8_0") << int(WeightFormat::Q8_0);
        QTest::newRow("mxfp4") << int(WeightFormat::MXFP4);
    }
    void staysWithinActivationRoundingOfTheF32Product() {
        QFETCH(int, format);
        const auto f = WeightFormat(format);
        std::mt19937 rng(3);
        const std::int64_t rows = 6, cols = 256, T = 3;
        const auto w = gemm_test::makeStored(f, rows, cols, rng);
        const std::vector<float> x = normals(std::size_t(T * cols), rng, 3.0f);
        std::vector<BlockQ8A> xq(std::size_t(T * cols / 32));
        for (std::int64_t t = 0; t < T; ++t) quantize_row_q8a(x.data() + t * cols, cols, xq.data() + t * cols / 32);
        std::vector<float> y(std::size_t(T * rows));
        gemmFor(f)(activeIsaLevel(), w.data.data(), cols, 0, rows, xq.data(), T, y.data(), rows, true);
        // The f32 product of the kernels' own f32 path (gemm.h) as the unrounded value.
        std::vector<float> exact(std::size_t(T * rows)), scratch(gemmScratchFloats(cols));
        gemmAt(IsaLevel::Scalar, w.view(), 0, rows, x.data(), T, exact.data(), rows, scratch.data());
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t t = 0; t < T; ++t) {
                double want = 0, bound = 1e-4;
                for (std::int64_t b = 0; b < cols / 32; ++b) {
                    float amax = 0;
                    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[std::size_t(t * cols + b * 32 + i)]));
                    for (int i = 0; i < 32; ++i) {
                        const std::int64_t k = b * 32 + i;
                        const double wk = weight(f, w.data.data() + std::size_t(r * (cols / 32)) * blockBytes(f), k);
                        want += wk * x[std::size_t(t * cols + k)];
                        bound += std::fabs(wk) * (amax / 127.0 / 2.0) * 1.01;
                    }
                }
                const double got = y[std::size_t(t * rows + r)];
                QVERIFY2(std::fabs(exact[std::size_t(t * rows + r)] - want) <= 1e-5 * (1 + std::fabs(want)) + 1e-3 * bound,
                         "the decoded weights agree with gemm.h's");
                QVERIFY2(std::fabs(got - want) <= bound, qPrintable(QString("r=%1 t=%2: %3 vs %4 (bound %5)").arg(r).arg(t).arg(got).arg(want).arg(bound)));
                QVERIFY(std::fabs(got - want) > 0 || bound < 1e-3);  // the rounding is real
            }
    }

    void nonFiniteActivationsGiveNan() {
        std::mt19937 rng(23);
        const std::int64_t cols = 64;
        const auto w = gemm_test::makeStored(WeightFormat::Q8_0, 2, cols, rng);
        std::vector<float> x = normals(std::size_t(cols), rng);
        x[40] = INFINITY;
        std::vector<BlockQ8A> xq(2);
        quantize_row_q8a(x.data(), cols, xq.data());
        float y[2];
        gemm_q8_0_q8a(activeIsaLevel(), w.data.data(), cols, 0, 2, xq.data(), 1, y, 2);
        QVERIFY(std::isnan(y[0]) && std::isnan(y[1]));
    }
};

QTEST_APPLESS_MAIN(TestGemmQ8)
#include "test_gemm_q8.moc"
