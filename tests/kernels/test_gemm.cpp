// ctest-labels: unit
// Every gemm() format at every dispatch level this CPU runs, against its scalar `_ref` kernel
// (gemv_ref.h, gemv_ref_ggml.h), on shapes that hit every tail: odd row counts (panel tails),
// columns not a multiple of the vector width or of the 128-column FP8 scale block, T = 1, 3, 17
// and 70 (token-tile and token-block tails), row sub-ranges and an output stride with gaps.
// The scalar level must equal the references bit for bit; SIMD levels sum in another order, so
// they must agree within a bound of the rounding of a sum: 1e-5 · Σ|w·x| (+ tiny absolute).
// The gaps of the strided output must stay untouched. Also: forceIsaLevel caps the dispatch.

#include <QtTest>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "atelier/kernels/cpu_features.h"
#include "atelier/kernels/gemm.h"
#include "atelier/kernels/vec_ops.h"
#include "atelier/kernels/gemv_ref.h"
#include "atelier/kernels/gemv_ref_ggml.h"
#include "gemm_test_weights.h"
#include "kernels/missing_levels.h"

using namespace atelier::kernels;
using atelier::kernels::test::MissingLevels;
using gemm_test::Stored;
using gemm_test::makeStored;

namespace {

void reference(const Stored& s, std::int64_t rb, std::int64_t re, const float* x, std::int64_t T,
               float* y, std::int64_t ldy) {
    std::vector<float> row(std::size_t(s.cols));
    const std::uint8_t* d = s.data.data();
    const auto* h = reinterpret_cast<const std::uint16_t*>(d);
    switch (s.format) {
    case WeightFormat::F32:
        gemm_f32_ref(reinterpret_cast<const float*>(d), s.cols, rb, re, x, T, y, ldy);
        return;
    case WeightFormat::BF16: gemm_bf16_ref(h, s.cols, rb, re, x, T, y, ldy, row.data()); return;
    case WeightFormat::F16: gemm_f16_ref(h, s.cols, rb, re, x, T, y, ldy, row.data()); return;
    case WeightFormat::Q8_0: gemm_q8_0_ref(d, s.cols, rb, re, x, T, y, ldy, row.data()); return;
    case WeightFormat::E4M3:
        gemm_e4m3_ref(d, s.scale.data(), s.cols, rb, re, x, T, y, ldy, row.data());
        return;
    case WeightFormat::E2M1:
        gemm_e2m1_ref(d, s.scale.data(), s.cols, rb, re, x, T, y, ldy, row.data());
        return;
    case WeightFormat::MXFP4: gemm_mxfp4_ref(d, s.cols, rb, re, x, T, y, ldy, row.data()); return;
    }
}

// Σ|w·x| per output, from the reference on |W| (decoded by the reference itself) and |x|.
float magnitudeBound(const Stored& s, std::int64_t r, const std::vector<float>& x, std::int64_t t) {
    std::vector<float> row(std::size_t(s.cols)), e(std::size_t(s.cols)), out(1);
    float total = 0;
    for (std::int64_t c = 0; c < s.cols; ++c) {  // the reference against a one-hot x reads W[r][c]
        std::fill(e.begin(), e.end(), 0.0f);
        e[std::size_t(c)] = 1.0f;
        reference(s, r, r + 1, e.data(), 1, out.data(), 1);
        total += std::fabs(out[0] * x[std::size_t(t * s.cols + c)]);
    }
    return total;
}

const char* formatName(WeightFormat f) {
    static const char* names[] = {"f32", "bf16", "f16", "q8_0", "e4m3", "e2m1", "mxfp4"};
    return names[int(f)];
}

}  // namespace

class TestGemm : public QObject {
    Q_OBJECT
private slots:
    void everyFormatAtEveryLevelMatchesItsReference_data() {
        QTest::addColumn<int>("format");
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        const int all[] = {0, 1, 2, 3, 4, 5, 6};
        for (int f : all) {
            const bool block = f >= 3 && f != 4;  // Q8_0, E2M1, MXFP4 need cols % 32 == 0
            const std::vector<std::pair<int, int>> shapes =
                block ? std::vector<std::pair<int, int>>{{1, 32}, {7, 96}, {13, 160}, {5, 288}}
                      : std::vector<std::pair<int, int>>{{1, 1}, {7, 13}, {13, 100}, {130, 131}, {5, 300}};
            for (auto [r, c] : shapes)
                QTest::newRow(QByteArray(formatName(WeightFormat(f))) + " " + QByteArray::number(r) +
                              "x" + QByteArray::number(c)) << f << r << c;
        }
    }
    void everyFormatAtEveryLevelMatchesItsReference() {
        MissingLevels missing;
        QFETCH(int, format);
        QFETCH(int, rows);
        QFETCH(int, cols);
        std::mt19937 rng(std::uint32_t(format * 1000 + rows * 7 + cols));
        const Stored s = makeStored(WeightFormat(format), rows, cols, rng);
        for (std::int64_t T : {1, 3, 17, 70}) {
            std::vector<float> x(std::size_t(T * cols));
            for (auto& v : x) v = std::uniform_real_distribution<float>(-2, 2)(rng);
            const std::int64_t rb = rows > 2 ? 1 : 0, re = rows, n = re - rb, ldy = n + 3;
            std::vector<float> want(std::size_t(T * ldy), -7.0f);
            reference(s, rb, re, x.data(), T, want.data(), ldy);
            for (IsaLevel level : {IsaLevel::Scalar, IsaLevel::Avx2, IsaLevel::Avx512}) {
                if (!missing.runs(level)) continue;
                std::vector<float> got(std::size_t(T * ldy), -7.0f);
                std::vector<float> scratch(gemmScratchFloats(cols));
                gemmAt(level, s.view(), rb, re, x.data(), T, got.data(), ldy, scratch.data());
                for (std::int64_t t = 0; t < T; ++t)
                    for (std::int64_t i = 0; i < ldy; ++i) {
                        const float g = got[std::size_t(t * ldy + i)], w = want[std::size_t(t * ldy + i)];
                        if (i >= n) {
                            QCOMPARE(g, -7.0f);  // the stride's gap is untouched
                            continue;
                        }
                        if (level == IsaLevel::Scalar) {
                            QCOMPARE(g, w);
                            continue;
                        }
                        if (t % 5 != 0 && t != T - 1) {  // bound computed on a sample of tokens
                            QVERIFY(std::isfinite(g));
                            QVERIFY(std::fabs(g - w) <= 1e-3f * (std::fabs(w) + 1.0f));
                            continue;
                        }
                        const float tol = 1e-5f * magnitudeBound(s, rb + i, x, t) + 1e-30f;
                        if (!(std::fabs(g - w) <= tol))
                            QFAIL(qPrintable(QString("%1 T=%2 t=%3 row=%4: %5 vs %6 (tol %7)")
                                                 .arg(QString::fromStdString(isaName(level)))
                                                 .arg(T).arg(t).arg(rb + i).arg(g).arg(w).arg(tol)));
                    }
            }
        }
        ATELIER_SKIP_MISSING_LEVELS(missing);
    }

    void dotAndAxpyAtEveryLevelMatchTheirDefinition() {
        MissingLevels missing;
        std::mt19937 rng(5);
        for (std::int64_t n : {1, 7, 8, 9, 31, 33, 128, 517}) {
            std::vector<float> a(static_cast<std::size_t>(n)), b(static_cast<std::size_t>(n));
            for (auto& v : a) v = std::uniform_real_distribution<float>(-1, 1)(rng);
            for (auto& v : b) v = std::uniform_real_distribution<float>(-1, 1)(rng);
            double want = 0, mag = 0;
            for (std::int64_t i = 0; i < n; ++i) {
                want += double(a[std::size_t(i)]) * b[std::size_t(i)];
                mag += std::fabs(double(a[std::size_t(i)]) * b[std::size_t(i)]);
            }
            for (IsaLevel level : {IsaLevel::Scalar, IsaLevel::Avx2, IsaLevel::Avx512}) {
                if (!missing.runs(level)) continue;
                const IsaLevel before = forceIsaLevel(level);
                const float got = dot_f32(a.data(), b.data(), n);
                std::vector<float> y = b;
                axpy_f32(0.75f, a.data(), y.data(), n);
                forceIsaLevel(before);
                QVERIFY(std::fabs(got - want) <= 1e-6 * mag + 1e-30);
                for (std::int64_t i = 0; i < n; ++i)  // one rounding (fused) or two (mul, add)
                    QVERIFY(std::fabs(y[std::size_t(i)] - (double(b[std::size_t(i)]) + 0.75 * a[std::size_t(i)])) <= 2e-7);
                if (level == IsaLevel::Scalar) QCOMPARE(got, dot_f32_ref(a.data(), b.data(), n));
            }
        }
        ATELIER_SKIP_MISSING_LEVELS(missing);
    }

    void forcingALevelCapsTheDispatch() {
        const IsaLevel before = forceIsaLevel(IsaLevel::Scalar);
        QCOMPARE(activeIsaLevel(), IsaLevel::Scalar);
        forceIsaLevel(IsaLevel::Avx2);
        QVERIFY(activeIsaLevel() == IsaLevel::Scalar || activeIsaLevel() == IsaLevel::Avx2 ||
                activeIsaLevel() == IsaLevel::Neon);
        forceIsaLevel(before);
    }
};

QTEST_APPLESS_MAIN(TestGemm)
#include "test_gemm.moc"
