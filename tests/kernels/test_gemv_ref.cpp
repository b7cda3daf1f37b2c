// ctest-labels: unit
// The scalar row-format products: each stored format decodes to the values its bit patterns
// stand for (hand tables: E4M3 0x38 = 1, 0x40 = 2, 0xB8 = −1, 0x01 = 2^−9; E2M1 code 2 = 1,
// 7 = 6, 0xA = −1; UE8M0 127 = 1, 128 = 2), block scales apply to the right rows and columns,
// row ranges and the output stride are honoured, and every token of a batch gets its product.

#include <QtTest>

#include <cstring>
#include <vector>

#include "atelier/kernels/gemv_ref.h"
#include "atelier/kernels/rmsnorm_ref.h"

using namespace atelier::kernels;

class TestGemvRef : public QObject {
    Q_OBJECT
private slots:
    void e4m3RowsUseTheirBlockScales() {
        // W [130, 256]: rows 0..127 in scale row 0, rows 128.. in scale row 1; columns 0..127 in
        // scale column 0, 128..255 in column 1.
        const std::int64_t rows = 130, cols = 256;
        std::vector<std::uint8_t> w(std::size_t(rows * cols), 0x38);  // all 1.0
        w[std::size_t(129 * cols + 5)] = 0xB8;                        // −1
        w[std::size_t(129 * cols + 200)] = 0x01;                      // 2^−9 (subnormal)
        const std::vector<std::uint8_t> scale = {127, 128, 129, 127};  // [2, 2]
        std::vector<float> x(std::size_t(2 * cols), 1.0f);             // two tokens
        for (std::int64_t i = 0; i < cols; ++i) x[std::size_t(cols + i)] = float(i % 3);
        std::vector<float> y(2 * 4, -1.0f), row(static_cast<std::size_t>(cols));
        gemm_e4m3_ref(w.data(), scale.data(), cols, 127, 130, x.data(), 2, y.data(), 4, row.data());
        // Row 127: 128·1·1 + 128·1·2 = 384.
        QCOMPARE(y[0], 384.0f);
        // Row 129: scale 4 on columns < 128, 1 beyond: 4·(127 − 1) + (127 + 2^−9).
        QCOMPARE(y[2], 4.0f * 126.0f + 127.0f + 0x1p-9f);
        QCOMPARE(y[3], -1.0f);  // the stride's gap is untouched
        float want = 0;
        for (std::int64_t i = 0; i < cols; ++i) want += float(i % 3) * (i < 128 ? 4.0f : 1.0f) *
                                                         (i == 5 ? -1.0f : i == 200 ? 0x1p-9f : 1.0f);
        QCOMPARE(y[4 + 2], want);
    }

    void e2m1PairsPutTheEvenElementInTheLowNibble() {
        const std::int64_t cols = 64;
        std::vector<std::uint8_t> w(std::size_t(cols / 2), 0x00);
        w[0] = 0x72;   // element 0 = 1, element 1 = 6
        w[16] = 0x0A;  // element 32 = −1 (second block)
        const std::vector<std::uint8_t> scale = {127, 128};  // block 0 ×1, block 1 ×2
        std::vector<float> x(std::size_t(cols), 0.0f);
        x[0] = 1.0f;
        x[1] = 10.0f;
        x[32] = 100.0f;
        std::vector<float> y(1), row(static_cast<std::size_t>(cols));
        gemm_e2m1_ref(w.data(), scale.data(), cols, 0, 1, x.data(), 1, y.data(), 1, row.data());
        QCOMPARE(y[0], 1.0f + 60.0f - 200.0f);
    }

    void bf16AndF32AgreeOnExactValues() {
        const std::int64_t cols = 5;
        const std::vector<float> wf = {1.0f, -2.0f, 0.5f, 3.0f, 0.25f};
        std::vector<std::uint16_t> wb(5);
        for (int i = 0; i < 5; ++i) {
            std::uint32_t u;
            std::memcpy(&u, &wf[std::size_t(i)], 4);
            wb[std::size_t(i)] = std::uint16_t(u >> 16);  // exact: these values have short mantissas
        }
        const std::vector<float> x = {1, 2, 3, 4, 5};
        float yf = 0, yb = 0;
        std::vector<float> row(5);
        gemm_f32_ref(wf.data(), cols, 0, 1, x.data(), 1, &yf, 1);
        gemm_bf16_ref(wb.data(), cols, 0, 1, x.data(), 1, &yb, 1, row.data());
        QCOMPARE(yf, 1.0f - 4.0f + 1.5f + 12.0f + 1.25f);
        QCOMPARE(yb, yf);
    }

    void rmsnormAndSoftmax() {
        std::vector<float> x = {3.0f, 4.0f}, w = {1.0f, 2.0f}, y(2);
        rmsnorm_f32_ref(x.data(), w.data(), 2, 0.0f, y.data());  // rms = sqrt(12.5)
        QVERIFY(std::fabs(y[0] - 3.0f / std::sqrt(12.5f)) < 1e-6f);
        QVERIFY(std::fabs(y[1] - 8.0f / std::sqrt(12.5f)) < 1e-6f);
        std::vector<float> s = {0.0f, std::log(3.0f)};
        softmax_f32_ref(s.data(), 2);
        QVERIFY(std::fabs(s[0] - 0.25f) < 1e-6f && std::fabs(s[1] - 0.75f) < 1e-6f);
    }
};

QTEST_APPLESS_MAIN(TestGemvRef)
#include "test_gemv_ref.moc"
