// ctest-labels: unit
// The CPU kernel tables (kernel_table.h), one per level this CPU runs (scalar, AVX2, AVX-512
// with and without VNNI):
// - every slot is filled, and each product slot declares the activations its format reads
//   (f32 for F32 … E2M1, blocks of 32 for Q8_0, MXFP4 and the legacy formats, Q8_K for the K-
//   and i-quants);
// - every product slot of every level computes what the scalar table's does for that format
//   (the `_ref` kernel), to rounding: a slot wired to another format's or level's body, or
//   reading the wrong activations, is off by about the size of the result;
// - cpuKernels() follows the level cap (forceIsaLevel) and gives the plain AVX-512 table when
//   VNNI is not allowed.

#include <QtTest>

#include <cmath>
#include <random>
#include <vector>

#include "atelier/kernels/kernel_table.h"
#include "kernels/gemm_test_weights.h"
#include "kernels/missing_levels.h"

using namespace atelier::kernels;

namespace {

struct Level {
    IsaLevel isa;
    bool vnni;
};

// The tables to check: every level, VNNI only where the CPU has it; missing ones are noted.
std::vector<Level> tablesHere(test::MissingLevels& missing) {
    std::vector<Level> out;
    for (IsaLevel l : {IsaLevel::Scalar, IsaLevel::Avx2, IsaLevel::Avx512})
        if (missing.runs(l)) out.push_back({l, false});
    if (isaSupported(IsaLevel::Avx2) && cpuFeatures().avxvnni) out.push_back({IsaLevel::Avx2, true});
    if (isaSupported(IsaLevel::Avx512) && cpuFeatures().avx512vnni) out.push_back({IsaLevel::Avx512, true});
    return out;
}

ActivationRounding expectedRounding(MatmulFormat f) {
    const int i = int(f);
    if (i < int(MatmulFormat::Q8_0)) return ActivationRounding::None;
    if (i < int(MatmulFormat::Q4_K)) return ActivationRounding::Q8A;
    if (i < int(MatmulFormat::Q4_0)) return ActivationRounding::Q8K;
    return quantFormat(QuantType(i - int(MatmulFormat::Q4_0))).activation == ActivationBlock::Q8A
               ? ActivationRounding::Q8A
               : ActivationRounding::Q8K;
}

// Stored rows of `format` that decode to finite values of moderate size.
struct Weights {
    std::vector<std::uint8_t> data, scale;
};
Weights makeWeights(MatmulFormat f, std::int64_t rows, std::int64_t cols, std::mt19937& rng) {
    static const WeightFormat kF32Formats[] = {WeightFormat::F32, WeightFormat::BF16, WeightFormat::F16,
                                               WeightFormat::E4M3, WeightFormat::E2M1};
    const int i = int(f);
    if (i < int(MatmulFormat::Q8_0)) {
        gemm_test::Stored s = gemm_test::makeStored(kF32Formats[i], rows, cols, rng);
        return {s.data, s.scale};
    }
    if (f == MatmulFormat::Q8_0 || f == MatmulFormat::MXFP4) {
        const auto wf = f == MatmulFormat::Q8_0 ? WeightFormat::Q8_0 : WeightFormat::MXFP4;
        return {gemm_test::makeStored(wf, rows, cols, rng).data, {}};
    }
    if (i < int(MatmulFormat::Q4_0))
        return {gemm_test::randomKQuantBlocks(KQuant(i - int(MatmulFormat::Q4_K)), rows * cols / kQK_K, rng), {}};
    // The format's own quantizer on random rows.
    const QuantFormat& q = quantFormat(QuantType(i - int(MatmulFormat::Q4_0)));
    Weights w;
    const std::size_t rowBytes = std::size_t(cols / q.blockElems * q.blockBytes);
    w.data.resize(rowBytes * std::size_t(rows));
    std::vector<float> row(static_cast<std::size_t>(cols));
    std::uniform_real_distribution<float> d(-1, 1);
    for (std::int64_t r = 0; r < rows; ++r) {
        for (auto& v : row) v = d(rng);
        q.quantizeRow(row.data(), cols, w.data.data() + std::size_t(r) * rowBytes);
    }
    return w;
}

// x [T, cols] in the slot's activations, rounded by the scalar table (the same integer inputs
// for every level).
struct Activations {
    std::vector<float> f32;
    std::vector<BlockQ8A> q8a;
    std::vector<BlockQ8K> q8k;
    const void* as(ActivationRounding r) const {
        if (r == ActivationRounding::Q8A) return q8a.data();
        if (r == ActivationRounding::Q8K) return q8k.data();
        return f32.data();
    }
};
Activations makeActivations(std::int64_t T, std::int64_t cols, std::mt19937& rng) {
    Activations a;
    a.f32.resize(std::size_t(T * cols));
    std::uniform_real_distribution<float> d(-1, 1);
    for (auto& v : a.f32) v = d(rng);
    a.q8a.resize(std::size_t(T * cols / kQ8Block));
    a.q8k.resize(std::size_t(T * cols / kQK_K));
    const KernelTable& ref = cpuKernels(IsaLevel::Scalar);
    for (std::int64_t t = 0; t < T; ++t) {
        ref.quantizeQ8A(a.f32.data() + t * cols, cols, a.q8a.data() + t * cols / kQ8Block);
        ref.quantizeQ8K(a.f32.data() + t * cols, cols, a.q8k.data() + t * cols / kQK_K);
    }
    return a;
}

}  // namespace

class TestKernelTable : public QObject {
    Q_OBJECT

private slots:
    void everyLevelFillsEverySlot() {
        test::MissingLevels missing;
        for (const Level& lv : tablesHere(missing)) {
            const KernelTable& k = cpuKernels(lv.isa, lv.vnni);
            QVERIFY2(k.name && *k.name, k.name);
            for (int f = 0; f < kMatmulFormatCount; ++f) {
                QVERIFY2(k.matmul[f].run != nullptr, qPrintable(QString("%1 format %2").arg(k.name).arg(f)));
                QCOMPARE(int(k.matmul[f].activation), int(expectedRounding(MatmulFormat(f))));
            }
            QVERIFY(k.gemm && k.quantizeQ8A && k.quantizeQ8K && k.dot && k.axpy && k.rmsnorm && k.rope);
            QVERIFY(k.hcCollapse && k.hcExpand && k.compressPool && k.attnSink && k.indexerScore && k.topk);
            QVERIFY(k.fp8Quant && k.fp8Dequant && k.fp8Simulate && k.roundBf16 && k.fp4Dequant);
        }
        ATELIER_SKIP_MISSING_LEVELS(missing);
    }

    void everyProductSlotMatchesTheScalarTable() {
        const std::int64_t rows = 9, cols = 512, T = 3;
        std::mt19937 rng(11);
        const Activations x = makeActivations(T, cols, rng);
        const KernelTable& ref = cpuKernels(IsaLevel::Scalar);
        std::vector<float> scratch(gemmScratchFloats(cols));
        test::MissingLevels missing;
        const std::vector<Level> levels = tablesHere(missing);
        for (int f = 0; f < kMatmulFormatCount; ++f) {
            const Weights w = makeWeights(MatmulFormat(f), rows, cols, rng);
            const MatmulSlot& want = ref.matmul[f];
            std::vector<float> y0(std::size_t(T * rows));
            want.run(w.data.data(), w.scale.data(), cols, 0, rows, x.as(want.activation), T, y0.data(), rows,
                     scratch.data());
            float amax = 0;
            for (float v : y0) amax = std::max(amax, std::fabs(v));
            QVERIFY2(std::isfinite(amax) && amax > 0, qPrintable(QString("format %1").arg(f)));
            for (const Level& lv : levels) {
                const KernelTable& k = cpuKernels(lv.isa, lv.vnni);
                const MatmulSlot& got = k.matmul[f];
                // Rows [2, 7) into a strided output, as a row chunk of a split product.
                std::vector<float> y(std::size_t(T * 8), -7.0f);
                got.run(w.data.data(), w.scale.data(), cols, 2, 7, x.as(got.activation), T, y.data(), 8,
                        scratch.data());
                for (std::int64_t t = 0; t < T; ++t)
                    for (std::int64_t r = 2; r < 7; ++r) {
                        const float a = y[std::size_t(t * 8 + r - 2)], b = y0[std::size_t(t * rows + r)];
                        QVERIFY2(std::fabs(a - b) <= 1e-4f * amax,
                                 qPrintable(QString("%1 format %2 row %3 token %4: %5 vs %6")
                                                .arg(k.name).arg(f).arg(r).arg(t).arg(a).arg(b)));
                    }
                for (std::int64_t t = 0; t < T; ++t)  // the gap of the strided output stays as it was
                    for (std::int64_t i = 5; i < 8; ++i) QCOMPARE(y[std::size_t(t * 8 + i)], -7.0f);
            }
        }
        ATELIER_SKIP_MISSING_LEVELS(missing);
    }

    void activeTableFollowsTheLevelCap() {
        const IsaLevel before = forceIsaLevel(IsaLevel::Scalar);
        QCOMPARE(&cpuKernels(), &cpuKernels(IsaLevel::Scalar));
        QCOMPARE(QString(cpuKernels().name), QString("cpu-scalar"));
        forceIsaLevel(before);
        QCOMPARE(&cpuKernels(), &cpuKernels(activeIsaLevel()));
        if (isaSupported(IsaLevel::Avx2)) {
            QCOMPARE(QString(cpuKernels(IsaLevel::Avx2, false).name), QString("cpu-avx2"));
            QCOMPARE(QString(cpuKernels(IsaLevel::Avx2, true).name),
                     QString(cpuFeatures().avxvnni ? "cpu-avx2-vnni" : "cpu-avx2"));
        }
        if (!isaSupported(IsaLevel::Avx512)) QSKIP("AVX-512 not available on this CPU");
        QCOMPARE(QString(cpuKernels(IsaLevel::Avx512, false).name), QString("cpu-avx512"));
        QCOMPARE(QString(cpuKernels(IsaLevel::Avx512, true).name),
                 QString(cpuFeatures().avx512vnni ? "cpu-avx512-vnni" : "cpu-avx512"));
    }
};

QTEST_APPLESS_MAIN(TestKernelTable)
#include "test_kernel_table.moc"
