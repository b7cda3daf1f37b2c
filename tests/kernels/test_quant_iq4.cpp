// ctest-labels: unit
// IQ4_NL (blocks of 32 against BlockQ8A) and IQ4_XS (super-blocks of 256 against BlockQ8K):
// hand-packed blocks decode to the values ggml's layout and level table define; the integer
// dot equals the f64 dot of the decoded weights and activations at every ISA level this CPU
// runs (random bytes, quantizer output and the extreme codes and scales); values on the grid
// survive the quantizer exactly, and Gaussian data stays within its round-trip error.

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

// ggml's kvalues_iq4nl: the level of each 4-bit code.
constexpr int kCodeLevels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

constexpr DotQ8AFn kNlDots[4] = {dot_iq4_nl_q8a_ref, dot_iq4_nl_q8a_avx2, dot_iq4_nl_q8a_avx512, dot_iq4_nl_q8a_avx512vnni};
constexpr DotQ8KFn kXsDots[4] = {dot_iq4_xs_q8_k_ref, dot_iq4_xs_q8_k_avx2, dot_iq4_xs_q8_k_avx512, dot_iq4_xs_q8_k_avx512vnni};

}  // namespace

class TestQuantIq4 : public QObject {
    Q_OBJECT
private slots:
    void iq4nlHandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(18, 0);
        putHalf(&b[0], 0x3800);  // d = 0.5
        b[2 + 2] = 0xf0;         // element 2: code 0, element 18: code 15
        b[2 + 7] = 0x38;         // element 7: code 8, element 23: code 3
        std::vector<float> out(32);
        dequant_row_iq4_nl_ref(b.data(), 32, out.data());
        QCOMPARE(out[2], 0.5f * -127);
        QCOMPARE(out[18], 0.5f * 113);
        QCOMPARE(out[7], 0.5f * 1);
        QCOMPARE(out[23], 0.5f * -65);
    }

    void iq4xsHandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(136, 0);
        putHalf(&b[0], 0x3400);  // d = 0.25
        // sub-block 3: ls = 45 = 0b10'1101: low nibble in the high half of scales_l[1], top bits
        // 6-7 of scales_h. Sub-block 4: ls = 32 (bits 8-9 = 2). Others ls = 0.
        const std::uint16_t scalesH = (2 << 6) | (2 << 8);
        std::memcpy(&b[2], &scalesH, 2);
        b[4 + 1] = 13 << 4;
        b[8 + 48 + 4] = 0xe0;  // sub-block 3, byte 4: element 96 + 4 code 0, 96 + 20 code 14
        std::vector<float> out(256);
        dequant_row_iq4_xs_ref(b.data(), 256, out.data());
        QCOMPARE(out[116], 0.25f * 13 * 89);
        QCOMPARE(out[100], 0.25f * 13 * -127);
        QCOMPARE(out[128], 0.0f);                // ls = 32: scale 0
        QCOMPARE(out[193], 0.25f * -32 * -127);  // ls = 0: scale -32, code 0
    }

    void theTableNamesTheseFunctions() {
        QCOMPARE(quantFormat(QuantType::IQ4_NL).blockBytes, 18);
        QVERIFY(quantFormat(QuantType::IQ4_NL).dequantRow == dequant_row_iq4_nl_ref);
        QCOMPARE(quantFormat(QuantType::IQ4_XS).blockBytes, 136);
        QCOMPARE(quantFormat(QuantType::IQ4_XS).blockElems, 256);
        QVERIFY(quantFormat(QuantType::IQ4_XS).quantizeRow == quantize_row_iq4_xs_ref);
    }

    void iq4nlIntegerDotMatchesDecodedDot_data() { addLevelRows(); }
    void iq4nlIntegerDotMatchesDecodedDot() {
        QFETCH(int, level);
        if (const char* why = missingLevel(level)) QSKIP(why);
        std::mt19937 rng(23);
        for (int nb : {1, 2, 3, 7, 13})
            for (int kind = 0; kind < 3; ++kind) {  // random bytes, quantizer output, extremes
                const int n = nb * 32;
                const std::vector<float> x = gaussian(std::size_t(n), rng);
                std::vector<float> act = gaussian(std::size_t(n), rng);
                std::vector<std::uint8_t> w = randomBlocks(18, nb, rng);
                if (kind == 1) quantize_row_iq4_nl_ref(x.data(), n, w.data());
                if (kind == 2) {  // every level -127 against every activation code -127
                    for (int b = 0; b < nb; ++b) std::memset(&w[std::size_t(b * 18 + 2)], 0, 16);
                    for (auto& v : act) v = -1.0f;
                }
                checkDot(kNlDots[level], dequant_row_iq4_nl_ref, w, act, QString("nb=%1 kind=%2").arg(nb).arg(kind));
            }
    }

    void iq4xsIntegerDotMatchesDecodedDot_data() { addLevelRows(); }
    void iq4xsIntegerDotMatchesDecodedDot() {
        QFETCH(int, level);
        if (const char* why = missingLevel(level)) QSKIP(why);
        std::mt19937 rng(29);
        for (int nb : {1, 2, 3, 7})
            for (int kind = 0; kind < 3; ++kind) {  // random bytes, quantizer output, extremes
                const int n = nb * 256;
                const std::vector<float> x = gaussian(std::size_t(n), rng);
                std::vector<float> act = gaussian(std::size_t(n), rng);
                std::vector<std::uint8_t> w = randomBlocks(136, nb, rng);
                if (kind == 1) quantize_row_iq4_xs_ref(x.data(), n, w.data());
                if (kind == 2) {  // scales -32 (ls = 0) and levels -127 everywhere, activations -127
                    for (int b = 0; b < nb; ++b) std::memset(&w[std::size_t(b * 136 + 2)], 0, 134);
                    for (auto& v : act) v = -1.0f;
                }
                checkDot(kXsDots[level], dequant_row_iq4_xs_ref, w, act, QString("nb=%1 kind=%2").arg(nb).arg(kind));
            }
    }

    void valuesOnTheGridSurviveTheQuantizers() {
        // IQ4_NL: 0.5 * every level (twice): the scale and each code are recovered exactly.
        std::vector<float> x(256), out(256);
        for (int j = 0; j < 32; ++j) x[std::size_t(j)] = 0.5f * float(kCodeLevels[(5 * j) % 16]);
        std::vector<std::uint8_t> nl(18);
        quantize_row_iq4_nl_ref(x.data(), 32, nl.data());
        dequant_row_iq4_nl_ref(nl.data(), 32, out.data());
        for (int j = 0; j < 32; ++j) QCOMPARE(out[std::size_t(j)], x[std::size_t(j)]);
        // IQ4_XS: sub-block scales 0.125 * l with l from -32 (the largest) to 31, one all zero.
        const int l[8] = {-32, 31, -7, 5, 0, 1, -1, 17};
        for (int s = 0; s < 8; ++s)
            for (int i = 0; i < 32; ++i) x[std::size_t(32 * s + i)] = 0.125f * float(l[s]) * float(kCodeLevels[(5 * i + s) % 16]);
        std::vector<std::uint8_t> xs(136);
        quantize_row_iq4_xs_ref(x.data(), 256, xs.data());
        dequant_row_iq4_xs_ref(xs.data(), 256, out.data());
        for (int i = 0; i < 256; ++i) QCOMPARE(out[std::size_t(i)], x[std::size_t(i)]);
    }

    void quantizersStayWithinTheirRoundTripError() {
        // Relative RMS error on unit Gaussians (measured: IQ4_NL 0.0737, IQ4_XS 0.0741; Q4_0
        // gives 0.086 at the same 4.5 bits).
        std::mt19937 rng(31);
        const int n = 256 * 256;
        std::vector<float> x = gaussian(std::size_t(n), rng), y(x.size());
        for (int i = 0; i < 32; ++i) x[std::size_t(256 + i)] = 0.0f;  // a zero block / sub-block
        std::vector<std::uint8_t> nl(std::size_t(n / 32 * 18)), xs(std::size_t(n / 256 * 136));
        quantize_row_iq4_nl_ref(x.data(), n, nl.data());
        dequant_row_iq4_nl_ref(nl.data(), n, y.data());
        QVERIFY2(relativeRms(x, y) < 0.079, qPrintable(QString::number(relativeRms(x, y))));
        for (int i = 0; i < 32; ++i) QCOMPARE(y[std::size_t(256 + i)], 0.0f);
        quantize_row_iq4_xs_ref(x.data(), n, xs.data());
        dequant_row_iq4_xs_ref(xs.data(), n, y.data());
        QVERIFY2(relativeRms(x, y) < 0.079, qPrintable(QString::number(relativeRms(x, y))));
        for (int i = 0; i < 32; ++i) QCOMPARE(y[std::size_t(256 + i)], 0.0f);
    }
};

QTEST_APPLESS_MAIN(TestQuantIq4)
#include "test_quant_iq4.moc"
