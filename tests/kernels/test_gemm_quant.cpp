// ctest-labels: unit
// Every format of gemm_quant.h through its table entry: the reference quantizer writes blocks
// that decode close to the input (an error bound per bit width); at every ISA level this CPU
// runs, the integer dot product equals the f64 dot of the decoded weights with the decoded
// activations on odd block counts; gemm_quant gives each token the bits it gets alone (batch
// invariance) and matches the per-row reference; a level the CPU lacks is a named skip.
// Per-format hand-packed layouts are checked in the test_quant_*.cpp files.

#include <QtTest>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "atelier/kernels/gemm_quant.h"
#include "quant_fixtures.h"

using namespace atelier::kernels;
using namespace quant_test;

namespace {

// n draws from N(0, sigma^2) of a generator seeded with `seed`.
std::vector<float> gaussian(std::size_t n, std::uint32_t seed, float sigma = 1.0f) {
    std::mt19937 rng(seed);
    return quant_test::gaussian(n, rng, sigma);
}

std::vector<std::uint8_t> quantizeRows(const QuantFormat& f, const std::vector<float>& x, std::int64_t rows,
                                       std::int64_t cols) {
    const std::size_t rowBytes = std::size_t(cols / f.blockElems) * std::size_t(f.blockBytes);
    std::vector<std::uint8_t> w(rowBytes * std::size_t(rows));
    for (std::int64_t r = 0; r < rows; ++r) f.quantizeRow(x.data() + r * cols, cols, w.data() + std::size_t(r) * rowBytes);
    return w;
}

// Activations [T, cols] rounded to the format's activation blocks, kept with their decoded values.
struct Activations {
    std::vector<BlockQ8A> q8a;
    std::vector<BlockQ8K> q8k;
    std::vector<double> decoded;  // d * qs
    const void* data() const { return q8a.empty() ? static_cast<const void*>(q8k.data()) : q8a.data(); }
};

Activations roundActivations(const QuantFormat& f, const std::vector<float>& x, std::int64_t T, std::int64_t cols) {
    Activations a;
    a.decoded.resize(x.size());
    if (f.activation == ActivationBlock::Q8A) {
        a.q8a.resize(std::size_t(T * cols / kQ8Block));
        for (std::int64_t t = 0; t < T; ++t) quantize_row_q8a_ref(x.data() + t * cols, cols, a.q8a.data() + t * cols / kQ8Block);
        for (std::size_t i = 0; i < x.size(); ++i)
            a.decoded[i] = double(a.q8a[i / kQ8Block].d) * a.q8a[i / kQ8Block].qs[i % kQ8Block];
    } else {
        a.q8k.resize(std::size_t(T * cols / kQK_K));
        for (std::int64_t t = 0; t < T; ++t) quantize_row_q8_k_ref(x.data() + t * cols, cols, a.q8k.data() + t * cols / kQK_K);
        for (std::size_t i = 0; i < x.size(); ++i)
            a.decoded[i] = double(a.q8k[i / kQK_K].d) * a.q8k[i / kQK_K].qs[i % kQK_K];
    }
    return a;
}

// Relative RMS error a round-to-nearest quantizer of this width keeps on unit Gaussians, with
// room: about twice what a uniform grid of the format's levels gives.
double errorBound(QuantType t) {
    switch (t) {
    case QuantType::Q5_0:
    case QuantType::Q5_1: return 0.08;
    case QuantType::Q4_0:
    case QuantType::Q4_1:
    case QuantType::IQ4_NL:
    case QuantType::IQ4_XS: return 0.16;
    case QuantType::Q3_K:
    case QuantType::IQ3_S:
    case QuantType::IQ3_XXS: return 0.32;
    case QuantType::IQ2_S:
    case QuantType::IQ2_XS:
    case QuantType::IQ2_XXS: return 0.55;
    case QuantType::IQ1_M:
    case QuantType::IQ1_S: return 0.8;
    }
    return 0;
}

void addTypeRows() {
    QTest::addColumn<int>("type");
    for (int t = 0; t < kQuantTypeCount; ++t)
        QTest::newRow(quantFormat(QuantType(t)).name) << t;
}

}  // namespace

class TestGemmQuant : public QObject {
    Q_OBJECT
private slots:
    void tableDescribesEveryFormat() {
        for (int t = 0; t < kQuantTypeCount; ++t) {
            const QuantFormat& f = quantFormat(QuantType(t));
            QCOMPARE(int(f.type), t);
            QVERIFY(f.blockElems == 32 || f.blockElems == 256);
            QCOMPARE(f.activation == ActivationBlock::Q8A, f.blockElems == 32);
            QuantType back;
            QVERIFY(quantTypeFromName(f.name, back));
            QCOMPARE(int(back), t);
            std::string lower = f.name;
            for (auto& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
            QVERIFY(quantTypeFromName(lower.c_str(), back));
        }
        QuantType unused;
        QVERIFY(!quantTypeFromName("Q8_1", unused));
        QVERIFY(!quantTypeFromName("IQ2", unused));
    }

    void quantizerRoundTripsWithinTheWidthsError_data() { addTypeRows(); }
    void quantizerRoundTripsWithinTheWidthsError() {
        QFETCH(int, type);
        const QuantFormat& f = quantFormat(QuantType(type));
        const std::int64_t cols = 4 * 256;
        const auto x = gaussian(std::size_t(cols), 7 + std::uint32_t(type));
        const auto w = quantizeRows(f, x, 1, cols);
        std::vector<float> back(static_cast<std::size_t>(cols));
        f.dequantRow(w.data(), cols, back.data());
        double err = 0, ref = 0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            QVERIFY(std::isfinite(back[i]));
            err += (double(back[i]) - x[i]) * (double(back[i]) - x[i]);
            ref += double(x[i]) * x[i];
        }
        const double rel = std::sqrt(err / ref);
        QVERIFY2(rel < errorBound(f.type), qPrintable(QStringLiteral("%1: relative RMS error %2").arg(f.name).arg(rel)));
        // The same input gives the same bytes (model files are reproducible from a seed).
        QVERIFY(quantizeRows(f, x, 1, cols) == w);
        // An all-zero row decodes to zeros.
        const std::vector<float> zeros(std::size_t(cols), 0.0f);
        const auto wz = quantizeRows(f, zeros, 1, cols);
        f.dequantRow(wz.data(), cols, back.data());
        for (float v : back) QCOMPARE(v, 0.0f);
    }

    void everyLevelsDotEqualsTheExactDotOfDecodedValues_data() {
        QTest::addColumn<int>("type");
        QTest::addColumn<int>("level");
        for (int t = 0; t < kQuantTypeCount; ++t)
            for (int l = 0; l < 4; ++l)
                QTest::newRow(qPrintable(QStringLiteral("%1 %2").arg(quantFormat(QuantType(t)).name, kLevels[l].name)))
                    << t << l;
    }
    void everyLevelsDotEqualsTheExactDotOfDecodedValues() {
        QFETCH(int, type);
        QFETCH(int, level);
        if (const char* why = missingLevel(level)) QSKIP(why);
        const Level& lv = kLevels[level];
        const QuantFormat& f = quantFormat(QuantType(type));
        const QuantDot dot = quantDot(f.type, lv.isa, lv.vnni);
        QCOMPARE(dot.vnni, lv.vnni);
        QCOMPARE(int(dot.level), int(lv.isa));  // every format has a body of its own at every level
        for (const std::int64_t blocks : {1, 3, 7, 13}) {
            const std::int64_t cols = blocks * f.blockElems;
            const auto x = gaussian(std::size_t(cols), 100 + std::uint32_t(blocks), 0.7f);
            const auto w = quantizeRows(f, x, 1, cols);
            std::vector<float> wd(static_cast<std::size_t>(cols));
            f.dequantRow(w.data(), cols, wd.data());
            const auto act = gaussian(std::size_t(cols), 200 + std::uint32_t(blocks), 3.0f);
            const Activations a = roundActivations(f, act, 1, cols);
            double exact = 0, magnitude = 0;
            for (std::int64_t i = 0; i < cols; ++i) {
                exact += double(wd[std::size_t(i)]) * a.decoded[std::size_t(i)];
                magnitude += std::fabs(double(wd[std::size_t(i)]) * a.decoded[std::size_t(i)]);
            }
            const float got = dot.q8a ? dot.q8a(w.data(), a.q8a.data(), blocks) : dot.q8k(w.data(), a.q8k.data(), blocks);
            QVERIFY2(std::fabs(double(got) - exact) <= 1e-5 * magnitude + 1e-30,
                     qPrintable(QStringLiteral("%1 %2, %3 blocks: %4 vs exact %5")
                                    .arg(f.name, lv.name).arg(blocks).arg(double(got)).arg(exact)));
        }
    }

    void gemmGivesEachTokenItsSingleTokenBits_data() { addTypeRows(); }
    void gemmGivesEachTokenItsSingleTokenBits() {
        QFETCH(int, type);
        const QuantFormat& f = quantFormat(QuantType(type));
        const std::int64_t rows = 5, cols = 3 * 256, T = 4;
        const auto w = quantizeRows(f, gaussian(std::size_t(rows * cols), 31), rows, cols);
        const auto x = gaussian(std::size_t(T * cols), 32);
        const Activations a = roundActivations(f, x, T, cols);
        for (int l = 0; l < 4; ++l) {
            const Level& lv = kLevels[l];
            if (missingLevel(l) || lv.vnni) continue;  // gemm_quant picks VNNI itself at AVX-512
            std::vector<float> batch(static_cast<std::size_t>(T * rows)), one(static_cast<std::size_t>(rows));
            gemm_quant(lv.isa, f.type, w.data(), cols, 0, rows, a.data(), T, batch.data(), rows);
            const QuantDot dot = quantDot(f.type, lv.isa);
            const std::int64_t nb = cols / f.blockElems;
            for (std::int64_t t = 0; t < T; ++t) {
                // Rows 1..3 of token t alone, written with a row offset.
                const void* at = a.q8a.empty() ? static_cast<const void*>(a.q8k.data() + t * nb)
                                               : static_cast<const void*>(a.q8a.data() + t * nb);
                gemm_quant(lv.isa, f.type, w.data(), cols, 1, 4, at, 1, one.data(), 3);
                for (std::int64_t r = 1; r < 4; ++r) {
                    QCOMPARE(one[std::size_t(r - 1)], batch[std::size_t(t * rows + r)]);
                    const std::uint8_t* row = w.data() + std::size_t(r * nb * f.blockBytes);
                    const float single = dot.q8a ? dot.q8a(row, a.q8a.data() + t * nb, nb) : dot.q8k(row, a.q8k.data() + t * nb, nb);
                    QCOMPARE(batch[std::size_t(t * rows + r)], single);
                }
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestGemmQuant)
#include "test_gemm_quant.moc"
