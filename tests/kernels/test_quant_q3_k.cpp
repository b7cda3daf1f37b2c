// ctest-labels: unit
// Q3_K (super-blocks of 256 against BlockQ8K): a hand-packed block decodes to the values ggml's
// layout defines (3-bit codes split over qs and hmask, 6-bit signed scales split over 12
// bytes); the integer dot equals the f64 dot of the decoded weights and activations at every
// ISA level this CPU runs (random bytes, quantizer output and the extreme codes and scales);
// values on the format's grid survive the quantizer exactly, and Gaussian data stays within its
// round-trip error.

#include <QtTest>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "atelier/kernels/gemm_quant.h"
#include "quant_fixtures.h"

using namespace atelier::kernels;
using namespace quant_test;

namespace {

constexpr int kBytes = 110, kScales = 96, kD = 108;
constexpr DotQ8KFn kDots[4] = {dot_q3_k_q8_k_ref, dot_q3_k_q8_k_avx2, dot_q3_k_q8_k_avx512, dot_q3_k_q8_k_avx512vnni};

}  // namespace

class TestQuantQ3K : public QObject {
    Q_OBJECT
private slots:
    void handPackedBlockDecodes() {
        std::vector<std::uint8_t> b(kBytes, 0);
        putHalf(&b[kD], 0x3800);  // d = 0.5
        // Scale 5 stored 45 = 0b10'1101 (13 after -32): low nibble in byte 5, top bits in bits
        // 2-3 of byte 8 + 1. Scale 10 stored 7 (-25): high nibble of byte 2, top bits 0.
        // Scale 15 stored 63 (31): high nibble of byte 7, top bits in bits 6-7 of byte 11.
        b[kScales + 5] = 13;
        b[kScales + 9] = 2 << 2;
        b[kScales + 2] = 7 << 4;
        b[kScales + 7] = 15 << 4;
        b[kScales + 11] = 3 << 6;
        // Element 85 (n = 0, k = 2, l = 21; sub-block 5): low bits 3 in bits 4-5 of qs[21], high
        // bit in bit 2 of hmask[21] -> code 3 + 4 - 4 = 3. Element 84 stays code -4.
        b[32 + 21] = 3 << 4;
        b[21] = 1 << 2;
        // Element 170 (n = 1, k = 1, l = 10; sub-block 10): low bits 3 in bits 2-3 of qs[32 + 10],
        // high bit clear -> code -1.
        b[32 + 32 + 10] = 3 << 2;
        // Element 255 (n = 1, k = 3, l = 31; sub-block 15): low bits 2 in bits 6-7 of qs[63],
        // high bit 7 of hmask[31] -> code 2.
        b[32 + 63] = 2 << 6;
        b[31] = 1 << 7;
        std::vector<float> out(256);
        dequant_row_q3_k_ref(b.data(), 256, out.data());
        QCOMPARE(out[85], 0.5f * 13 * 3);
        QCOMPARE(out[84], 0.5f * 13 * -4);
        QCOMPARE(out[170], 0.5f * -25 * -1);
        QCOMPARE(out[255], 0.5f * 31 * 2);
        QCOMPARE(out[0], 0.5f * -32 * -4);  // scale stored 0, code stored 0
    }

    void theTableNamesTheseFunctions() {
        const QuantFormat& f = quantFormat(QuantType::Q3_K);
        QCOMPARE(f.blockBytes, 110);
        QCOMPARE(f.blockElems, 256);
        QVERIFY(f.dequantRow == dequant_row_q3_k_ref);
        QVERIFY(f.quantizeRow == quantize_row_q3_k_ref);
    }

    void integerDotMatchesDecodedDot_data() { addLevelRows(); }
    void integerDotMatchesDecodedDot() {
        QFETCH(int, level);
        if (const char* why = missingLevel(level)) QSKIP(why);
        std::mt19937 rng(41);
        for (int nb : {1, 2, 3, 7, 13})
            for (int kind = 0; kind < 4; ++kind) {  // random bytes, quantizer output, two extremes
                const int n = nb * 256;
                const std::vector<float> x = gaussian(std::size_t(n), rng);
                std::vector<float> act = gaussian(std::size_t(n), rng);
                std::vector<std::uint8_t> w = randomBlocks(kBytes, nb, rng, kD);
                if (kind == 1) quantize_row_q3_k_ref(x.data(), n, w.data());
                if (kind >= 2) {  // all codes -4 with scales -32, or codes 3 with scales 31
                    for (int b = 0; b < nb; ++b) std::memset(&w[std::size_t(b * kBytes)], kind == 2 ? 0 : 0xff, kD);
                    for (auto& v : act) v = -1.0f;
                }
                checkDot(kDots[level], dequant_row_q3_k_ref, w, act, QString("nb=%1 kind=%2").arg(nb).arg(kind));
            }
    }

    void valuesOnTheGridSurviveTheQuantizer() {
        // d = 0.25, sub-block scales from -32 (the largest magnitude) to 31, one all zero; every
        // sub-block holds each code -4..3 (-4 being its largest magnitude).
        const int s[16] = {-32, 31, -7, 5, 0, 1, -1, 17, 3, -20, 9, 12, -3, 2, 30, -15};
        std::vector<float> x(256), out(256);
        for (int j = 0; j < 16; ++j)
            for (int i = 0; i < 16; ++i) x[std::size_t(16 * j + i)] = 0.25f * float(s[j]) * float((5 * i + j) % 8 - 4);
        std::vector<std::uint8_t> q(kBytes);
        quantize_row_q3_k_ref(x.data(), 256, q.data());
        dequant_row_q3_k_ref(q.data(), 256, out.data());
        for (int i = 0; i < 256; ++i) QCOMPARE(out[std::size_t(i)], x[std::size_t(i)]);
    }

    void quantizerStaysWithinItsRoundTripError() {
        // Relative RMS error on unit Gaussians (measured 0.143 at 3.44 bits per weight).
        std::mt19937 rng(43);
        const int n = 256 * 256;
        std::vector<float> x = gaussian(std::size_t(n), rng), y(x.size());
        for (int i = 0; i < 256; ++i) x[std::size_t(512 + i)] = 0.0f;  // a zero block
        for (int i = 0; i < 16; ++i) x[std::size_t(1024 + i)] = 0.0f;  // a zero sub-block
        std::vector<std::uint8_t> q(std::size_t(n / 256 * kBytes)), again(q.size());
        quantize_row_q3_k_ref(x.data(), n, q.data());
        dequant_row_q3_k_ref(q.data(), n, y.data());
        QVERIFY2(relativeRms(x, y) < 0.15, qPrintable(QString::number(relativeRms(x, y))));
        for (int i = 0; i < 256; ++i) QCOMPARE(y[std::size_t(512 + i)], 0.0f);
        for (int i = 0; i < 16; ++i) QCOMPARE(y[std::size_t(1024 + i)], 0.0f);
        quantize_row_q3_k_ref(x.data(), n, again.data());
        QVERIFY(q == again);  // deterministic
    }
};

QTEST_APPLESS_MAIN(TestQuantQ3K)
#include "test_quant_q3_k.moc"
