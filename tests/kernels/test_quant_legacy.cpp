// ctest-labels: unit
// Legacy blocks of 32 (Q4_0, Q4_1, Q5_0, Q5_1): hand-packed blocks decode to the values ggml's
// layout defines; the integer dot with BlockQ8A activations equals the f64 dot of the decoded
// weights and activations at every ISA level this CPU runs (random bytes, quantizer output and
// extreme codes, odd block counts); the quantizers follow ggml's scale rules and stay within
// their round-trip error on Gaussian data.

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

struct Legacy {
    const char* name;
    QuantType type;
    int bytes;
    bool affine;  // f16 m after d
    DequantRowFn dequant;
    QuantizeRowFn quantize;
    DotQ8AFn dots[4];  // scalar, AVX2, AVX-512, AVX-512 VNNI
};

const Legacy kFormats[] = {
    {"Q4_0", QuantType::Q4_0, 18, false, dequant_row_q4_0_ref, quantize_row_q4_0_ref,
     {dot_q4_0_q8a_ref, dot_q4_0_q8a_avx2, dot_q4_0_q8a_avx512, dot_q4_0_q8a_avx512vnni}},
    {"Q4_1", QuantType::Q4_1, 20, true, dequant_row_q4_1_ref, quantize_row_q4_1_ref,
     {dot_q4_1_q8a_ref, dot_q4_1_q8a_avx2, dot_q4_1_q8a_avx512, dot_q4_1_q8a_avx512vnni}},
    {"Q5_0", QuantType::Q5_0, 22, false, dequant_row_q5_0_ref, quantize_row_q5_0_ref,
     {dot_q5_0_q8a_ref, dot_q5_0_q8a_avx2, dot_q5_0_q8a_avx512, dot_q5_0_q8a_avx512vnni}},
    {"Q5_1", QuantType::Q5_1, 24, true, dequant_row_q5_1_ref, quantize_row_q5_1_ref,
     {dot_q5_1_q8a_ref, dot_q5_1_q8a_avx2, dot_q5_1_q8a_avx512, dot_q5_1_q8a_avx512vnni}},
};

}  // namespace

class TestQuantLegacy : public QObject {
    Q_OBJECT
private slots:
    void q4_0HandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(18, 0);
        putHalf(&b[0], 0x3800);  // d = 0.5
        b[2 + 3] = 0xa2;         // element 3: code 2, element 19: code 10
        std::vector<float> out(32);
        dequant_row_q4_0_ref(b.data(), 32, out.data());
        QCOMPARE(out[3], 0.5f * (2 - 8));
        QCOMPARE(out[19], 0.5f * (10 - 8));
        QCOMPARE(out[0], -4.0f);  // code 0 stands for -8
    }

    void q4_1HandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(20, 0);
        putHalf(&b[0], 0x3400);  // d = 0.25
        putHalf(&b[2], 0xbc00);  // m = -1
        b[4 + 0] = 0xf1;         // element 0: code 1, element 16: code 15
        std::vector<float> out(32);
        dequant_row_q4_1_ref(b.data(), 32, out.data());
        QCOMPARE(out[0], -0.75f);
        QCOMPARE(out[16], 2.75f);
        QCOMPARE(out[1], -1.0f);
    }

    void q5_0HandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(22, 0);
        putHalf(&b[0], 0x3c00);  // d = 1
        const std::uint32_t qh = (1u << 5) | (1u << 20);
        std::memcpy(&b[2], &qh, 4);
        b[6 + 5] = 0x03;  // element 5: nibble 3, fifth bit set -> 19
        b[6 + 4] = 0x70;  // element 20: nibble 7, fifth bit set -> 23; element 4: 0
        std::vector<float> out(32);
        dequant_row_q5_0_ref(b.data(), 32, out.data());
        QCOMPARE(out[5], 3.0f);
        QCOMPARE(out[20], 7.0f);
        QCOMPARE(out[4], -16.0f);
        QCOMPARE(out[21], -16.0f);  // nibble 0, bit 21 clear
    }

    void q5_1HandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(24, 0);
        putHalf(&b[0], 0x4000);  // d = 2
        putHalf(&b[2], 0x3800);  // m = 0.5
        const std::uint32_t qh = 1u << 31;
        std::memcpy(&b[4], &qh, 4);
        b[8 + 15] = 0x9c;  // element 15: 12; element 31: 9 + 16
        std::vector<float> out(32);
        dequant_row_q5_1_ref(b.data(), 32, out.data());
        QCOMPARE(out[15], 2.0f * 12 + 0.5f);
        QCOMPARE(out[31], 2.0f * 25 + 0.5f);
        QCOMPARE(out[30], 0.5f);
    }

    void theTableNamesTheseFunctions() {
        for (const Legacy& f : kFormats) {
            const QuantFormat& q = quantFormat(f.type);
            QCOMPARE(q.blockElems, 32);
            QCOMPARE(q.blockBytes, f.bytes);
            QVERIFY(q.dequantRow == f.dequant);
            QVERIFY(q.quantizeRow == f.quantize);
        }
    }

    void integerDotMatchesDecodedDot_data() { addLevelRows(); }
    void integerDotMatchesDecodedDot() {
        QFETCH(int, level);
        if (const char* why = missingLevel(level)) QSKIP(why);
        std::mt19937 rng(17);
        for (const Legacy& f : kFormats)
            for (int nb : {1, 2, 3, 7, 13})
                for (int kind = 0; kind < 3; ++kind) {  // random bytes, quantizer output, extreme codes
                    const int n = nb * 32;
                    const std::vector<float> x = gaussian(std::size_t(n), rng);
                    std::vector<float> act = gaussian(std::size_t(n), rng);
                    std::vector<std::uint8_t> w = randomBlocks(f.bytes, nb, rng, 0, f.affine ? 2 : 1);  // d (and m)
                    if (kind == 1) f.quantize(x.data(), n, w.data());
                    if (kind == 2) {  // every code 0 (the most negative for Q4_0 / Q5_0), activations -127
                        for (int b = 0; b < nb; ++b) std::memset(&w[std::size_t(b * f.bytes + (f.affine ? 4 : 2))], 0, std::size_t(f.bytes - (f.affine ? 4 : 2)));
                        for (auto& v : act) v = -1.0f;
                    }
                    checkDot(f.dots[level], f.dequant, w, act, QString("%1 nb=%2 kind=%3").arg(f.name).arg(nb).arg(kind));
                }
    }

    void symmetricQuantizersGiveTheLargestMagnitudeCodeZero() {
        // Q4_0: x = (j % 16 - 8) / 2, largest magnitude -4 -> d = -4 / -8 = 0.5, codes j % 16.
        std::vector<float> x(32), out(32);
        for (int j = 0; j < 32; ++j) x[std::size_t(j)] = float(j % 16 - 8) * 0.5f;
        std::vector<std::uint8_t> b(18);
        quantize_row_q4_0_ref(x.data(), 32, b.data());
        QCOMPARE(int(b[0] | b[1] << 8), 0x3800);
        QCOMPARE(int(b[2 + 5]), 0x55);
        dequant_row_q4_0_ref(b.data(), 32, out.data());
        QVERIFY(out == x);
        // A positive largest element gives a negative d: it still gets code 0.
        for (auto& v : x) v = -v;
        quantize_row_q4_0_ref(x.data(), 32, b.data());
        QCOMPARE(int(b[0] | b[1] << 8), 0xb800);  // d = -0.5
        QCOMPARE(int(b[2] & 15), 0);
        // Q5_0: x = (j - 16) / 4 -> d = 0.25, codes j.
        for (int j = 0; j < 32; ++j) x[std::size_t(j)] = float(j - 16) * 0.25f;
        std::vector<std::uint8_t> b5(22);
        quantize_row_q5_0_ref(x.data(), 32, b5.data());
        QCOMPARE(int(b5[0] | b5[1] << 8), 0x3400);
        std::uint32_t qh;
        std::memcpy(&qh, &b5[2], 4);
        QCOMPARE(qh, 0xffff0000u);  // codes 16..31 are elements 16..31
        dequant_row_q5_0_ref(b5.data(), 32, out.data());
        QVERIFY(out == x);
    }

    void affineQuantizersKeepTheRange() {
        std::mt19937 rng(3);
        std::uniform_real_distribution<float> ud(-3.0f, 5.0f);
        for (const Legacy& f : kFormats) {
            if (!f.affine) continue;
            std::vector<float> x(32), out(32);
            for (auto& v : x) v = ud(rng);
            x[7] = -3.0f, x[20] = 5.0f;
            std::vector<std::uint8_t> b(std::size_t(f.bytes));
            f.quantize(x.data(), 32, b.data());
            f.dequant(b.data(), 32, out.data());
            QVERIFY2(std::fabs(out[7] + 3.0f) < 1e-2f, f.name);  // min -> m, max -> d * levels + m (f16 d)
            QVERIFY2(std::fabs(out[20] - 5.0f) < 1e-2f, f.name);
        }
    }

    void quantizersStayWithinTheirRoundTripError() {
        // Relative RMS error on unit Gaussians (measured: Q4_0 0.086, Q4_1 0.078, Q5_0 0.043,
        // Q5_1 0.038); an all-zero block decodes to zeros.
        const double bound[] = {0.092, 0.084, 0.046, 0.041};
        std::mt19937 rng(5);
        const int n = 32 * 4096;
        for (int t = 0; t < 4; ++t) {
            const Legacy& f = kFormats[t];
            std::vector<float> x = gaussian(std::size_t(n), rng), y(x.size());
            for (int j = 0; j < 32; ++j) x[std::size_t(32 + j)] = 0.0f;
            std::vector<std::uint8_t> w(std::size_t(n / 32 * f.bytes));
            f.quantize(x.data(), n, w.data());
            f.dequant(w.data(), n, y.data());
            const double err = relativeRms(x, y);
            QVERIFY2(err < bound[t], qPrintable(QString("%1: %2").arg(f.name).arg(err)));
            for (int j = 0; j < 32; ++j) QCOMPARE(y[std::size_t(32 + j)], 0.0f);
        }
    }
};

QTEST_APPLESS_MAIN(TestQuantLegacy)
#include "test_quant_legacy.moc"
