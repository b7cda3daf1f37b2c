// ctest-labels: unit
// IQ2_XXS, IQ2_XS and IQ2_S (super-blocks of 256 against BlockQ8K): hand-packed blocks decode to
// the values ggml's layout and grid tables define (seven stored signs plus the parity one for
// IQ2_XXS / IQ2_XS, all eight and a 10-bit index from qh for IQ2_S); the integer dot equals the
// f64 dot of the decoded weights and activations at every ISA level this CPU runs (random bytes,
// quantizer output, and the largest magnitudes, scales and activations); the format table wires
// these bodies; points of the grid survive the quantizers exactly, and Gaussian data stays within
// each width's round-trip error.

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

struct Iq2 {
    const char* name;
    QuantType type;
    int bytes;
    DequantRowFn dequant;
    QuantizeRowFn quantize;
    DotQ8KFn dots[4];  // scalar, avx2, avx512, avx512vnni
    int scaleByte;     // a byte whose low nibble is a scale (set to 15 for exact round trips)
    double maxRms;     // round-trip bound on Gaussian data (measured 0.328, 0.284, 0.239)
};

const Iq2 kFormats[3] = {
    {"IQ2_XXS", QuantType::IQ2_XXS, 66, dequant_row_iq2_xxs_ref, quantize_row_iq2_xxs_ref,
     {dot_iq2_xxs_q8_k_ref, dot_iq2_xxs_q8_k_avx2, dot_iq2_xxs_q8_k_avx512, dot_iq2_xxs_q8_k_avx512vnni}, -1, 0.35},
    {"IQ2_XS", QuantType::IQ2_XS, 74, dequant_row_iq2_xs_ref, quantize_row_iq2_xs_ref,
     {dot_iq2_xs_q8_k_ref, dot_iq2_xs_q8_k_avx2, dot_iq2_xs_q8_k_avx512, dot_iq2_xs_q8_k_avx512vnni}, 66, 0.30},
    {"IQ2_S", QuantType::IQ2_S, 82, dequant_row_iq2_s_ref, quantize_row_iq2_s_ref,
     {dot_iq2_s_q8_k_ref, dot_iq2_s_q8_k_avx2, dot_iq2_s_q8_k_avx512, dot_iq2_s_q8_k_avx512vnni}, 74, 0.26},
};

std::vector<float> decode(const Iq2& f, const std::vector<std::uint8_t>& w) {
    return decoded(f.dequant, w, std::int64_t(w.size() / std::size_t(f.bytes) * 256));
}

// The dot at `level` against the f64 dot of the decoded weights with the decoded activations.
void checkDot(const Iq2& f, int level, const std::vector<std::uint8_t>& w, const std::vector<float>& x) {
    quant_test::checkDot(f.dots[level], f.dequant, w, x,
                         QStringLiteral("%1 level %2 nb=%3").arg(f.name).arg(level).arg(x.size() / 256));
}

}  // namespace

class TestQuantIq2 : public QObject {
    Q_OBJECT
private slots:
    void iq2xxsHandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(66, 0);
        putHalf(&b[0], 0x3800);  // d = 0.5
        // Sub-block 1 (elements 32..63) is bytes 10..17: four grid indices, then the aux word.
        b[10 + 1] = 1;    // group 1: ggml iq2xxs_grid[1] = 0x080808080808082b
        b[10 + 2] = 255;  // group 2: iq2xxs_grid[255] = 0x2b2b2b1908081908
        // aux: ls = 5; group 1 stores sign bits 0b0000001 (odd: the parity bit makes element 7
        // negative too), group 2 stores 0b0000011 (even: elements 0 and 1 only).
        const std::uint32_t aux = (5u << 28) | (0x01u << 7) | (0x03u << 14);
        std::memcpy(&b[14], &aux, 4);
        std::vector<float> out(256);
        dequant_row_iq2_xxs_ref(b.data(), 256, out.data());
        const float db = 0.5f * (0.5f + 5) * 0.25f;   // 0.6875
        QCOMPARE(out[32], 8 * db);                       // group 0: entry 0, all 8
        QCOMPARE(out[40], -43 * db);                     // group 1, element 0
        QCOMPARE(out[41], 8 * db);
        QCOMPARE(out[47], -8 * db);                      // the parity sign
        QCOMPARE(out[48], -8 * db);                      // group 2: bytes 08 19 08 08 19 2b 2b 2b
        QCOMPARE(out[49], -25 * db);
        QCOMPARE(out[53], 43 * db);
        QCOMPARE(out[55], 43 * db);
        QCOMPARE(out[0], 0.5f * 0.5f * 0.25f * 8);        // sub-block 0: ls = 0, entry 0
    }

    void iq2xsHandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(74, 0);
        putHalf(&b[0], 0x4000);  // d = 2
        b[66 + 1] = 0x73;        // sub-block 1: groups 4, 5 take scale 3, groups 6, 7 scale 7
        // group 5: index 1 (0x080808080808082b), sign bits 0b0000011 (even: elements 0, 1)
        const std::uint16_t g5 = 1 | (0x03 << 9);
        // group 6: index 511 (all 0x2b), sign bits 0b1000000 (odd: parity adds element 7)
        const std::uint16_t g6 = 511 | (0x40 << 9);
        std::memcpy(&b[2 + 2 * 5], &g5, 2);
        std::memcpy(&b[2 + 2 * 6], &g6, 2);
        std::vector<float> out(256);
        dequant_row_iq2_xs_ref(b.data(), 256, out.data());
        QCOMPARE(out[40], -43 * 2 * 3.5f * 0.25f);
        QCOMPARE(out[41], -8 * 2 * 3.5f * 0.25f);
        QCOMPARE(out[42], 8 * 2 * 3.5f * 0.25f);
        QCOMPARE(out[48], 43 * 2 * 7.5f * 0.25f);
        QCOMPARE(out[53], 43 * 2 * 7.5f * 0.25f);
        QCOMPARE(out[54], -43 * 2 * 7.5f * 0.25f);
        QCOMPARE(out[55], -43 * 2 * 7.5f * 0.25f);
        QCOMPARE(out[32], 8 * 2 * 3.5f * 0.25f);  // group 4: index 0, scale 3
    }

    void iq2sHandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(82, 0);
        putHalf(&b[0], 0x3c00);  // d = 1
        // group 9 (sub-block 2, group 1): qs 0x05 and bits 2..3 of qh[2] = 0b10 -> index 0x205
        // (ggml iq2s_grid[517] = 0x1908081919190808); signs 0x81 (elements 0 and 7: IQ2_S
        // allows an odd count); scale: low nibble of scales[2] = 9.
        b[2 + 9] = 0x05;
        b[66 + 2] = 0x08;
        b[34 + 9] = 0x81;
        b[74 + 2] = 0x09;
        // group 31 (sub-block 7, group 3): qs 0xff, bits 6..7 of qh[7] = 0b11 -> index 1023 (all
        // 0x2b); scale: high nibble of scales[7] = 15.
        b[2 + 31] = 0xff;
        b[66 + 7] = 0xc0;
        b[74 + 7] = 0xf0;
        std::vector<float> out(256);
        dequant_row_iq2_s_ref(b.data(), 256, out.data());
        const float db9 = 9.5f * 0.25f;
        QCOMPARE(out[72], -8 * db9);
        QCOMPARE(out[73], 8 * db9);
        QCOMPARE(out[74], 25 * db9);
        QCOMPARE(out[79], -25 * db9);
        QCOMPARE(out[80], 8 * 0.5f * 0.25f);  // group 10: index 0, scale 0 (high nibble)
        QCOMPARE(out[248], 43 * 15.5f * 0.25f);
        QCOMPARE(out[255], 43 * 15.5f * 0.25f);
        QCOMPARE(out[224], 8 * 0.5f * 0.25f);  // group 28: low nibble of scales[7] = 0
    }

    void everyLevelsDotEqualsTheExactDotOfDecodedValues_data() {
        QTest::addColumn<int>("format");
        QTest::addColumn<int>("level");
        for (int f = 0; f < 3; ++f)
            for (int l = 0; l < 4; ++l)
                QTest::newRow(qPrintable(QStringLiteral("%1 %2").arg(kFormats[f].name, kLevels[l].tag))) << f << l;
    }
    void everyLevelsDotEqualsTheExactDotOfDecodedValues() {
        QFETCH(int, format);
        QFETCH(int, level);
        if (const char* why = missingLevel(level)) QSKIP(why);
        const Iq2& f = kFormats[format];
        std::mt19937 rng(std::uint32_t(17 + format));
        for (int nb : {1, 2, 3, 7, 13}) {
            const std::vector<float> x = gaussian(std::size_t(nb * 256), rng), y = gaussian(x.size(), rng);
            checkDot(f, level, randomBlocks(f.bytes, nb, rng), x);  // random bytes
            std::vector<std::uint8_t> q(std::size_t(nb * f.bytes));
            f.quantize(y.data(), nb * 256, q.data());
            checkDot(f, level, q, x);  // quantizer output
            // the largest products: every byte 0xff (top index, all signs negative, scale 15)
            // against activations of -127
            std::vector<std::uint8_t> big(q.size(), 0xff);
            for (int b = 0; b < nb; ++b) putHalf(&big[std::size_t(b * f.bytes)], 0x3c00);
            checkDot(f, level, big, std::vector<float>(x.size(), -1.0f));
        }
    }

    void tableWiresTheseBodies() {
        for (const Iq2& f : kFormats) {
            const QuantFormat& qf = quantFormat(f.type);
            QCOMPARE(QString(qf.name), QString(f.name));
            QCOMPARE(qf.blockElems, 256);
            QCOMPARE(qf.blockBytes, f.bytes);
            QVERIFY(qf.activation == ActivationBlock::Q8K);
            QVERIFY(qf.dequantRow == f.dequant && qf.quantizeRow == f.quantize);
            QVERIFY(quantDot(f.type, IsaLevel::Scalar).q8k == f.dots[0]);
            QVERIFY(quantDot(f.type, IsaLevel::Avx2).q8k == f.dots[1]);
            QVERIFY(quantDot(f.type, IsaLevel::Avx512, false).q8k == f.dots[2]);
            QVERIFY(quantHasLevel(f.type, IsaLevel::Avx512, true));
        }
    }

    void gridPointsSurviveTheQuantizerExactly() {
        std::mt19937 rng(5);
        for (const Iq2& f : kFormats)
            for (int t = 0; t < 20; ++t) {
                std::vector<std::uint8_t> w = randomBlocks(f.bytes, 1, rng);
                putHalf(&w[0], std::uint16_t(0x3c00 + rng() % 64));  // positive d
                // d is recovered from the largest scale: make one of them 15
                if (f.scaleByte < 0) w[2 + 7] |= 0xf0;  // IQ2_XXS: top nibble of sub-block 0's aux
                else w[std::size_t(f.scaleByte)] |= 0x0f;
                const std::vector<float> x = decode(f, w);
                std::vector<std::uint8_t> q(w.size());
                f.quantize(x.data(), 256, q.data());
                QVERIFY2(decode(f, q) == x, f.name);
            }
    }

    void gaussianDataStaysWithinTheWidthsError() {
        for (const Iq2& f : kFormats) {
            std::mt19937 rng(9);
            const int nb = 16;
            const std::vector<float> x = gaussian(std::size_t(nb * 256), rng, 0.02f);
            std::vector<std::uint8_t> q(std::size_t(nb * f.bytes)), again(q.size());
            f.quantize(x.data(), nb * 256, q.data());
            f.quantize(x.data(), nb * 256, again.data());
            QVERIFY2(q == again, f.name);  // deterministic
            const double rms = relativeRms(x, decode(f, q));
            QVERIFY2(rms < f.maxRms, qPrintable(QStringLiteral("%1: %2").arg(f.name).arg(rms)));
        }
    }

    void zerosStayZeroAndNonFiniteInputDecodesFinite() {
        for (const Iq2& f : kFormats) {
            std::vector<float> x(512, 0.0f);
            std::vector<std::uint8_t> q(std::size_t(2 * f.bytes));
            f.quantize(x.data(), 512, q.data());
            for (float v : decode(f, q)) QCOMPARE(v, 0.0f);
            x[300] = NAN, x[301] = INFINITY, x[302] = -INFINITY, x[303] = 1e30f, x[304] = -3.0f;
            f.quantize(x.data(), 512, q.data());
            for (float v : decode(f, q)) QVERIFY2(std::isfinite(v), f.name);
        }
    }
};

QTEST_APPLESS_MAIN(TestQuantIq2)
#include "test_quant_iq2.moc"
