// ctest-labels: unit
// IQ3_XXS and IQ3_S (super-blocks of 256 against BlockQ8K): hand-packed blocks decode to the
// values ggml's layout and grid tables define (IQ3_XXS: seven stored signs per 8 plus the parity
// one; IQ3_S: a ninth index bit from qh and all eight signs); the integer dot equals the f64 dot
// of the decoded weights and activations at every ISA level this CPU runs (random bytes,
// quantizer output and the extreme magnitudes, signs and scales); points of the grid survive the
// quantizers exactly, and Gaussian data stays within their round-trip error.

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

constexpr int kXxsBytes = 98, kSBytes = 110;
constexpr DotQ8KFn kXxsDots[4] = {dot_iq3_xxs_q8_k_ref, dot_iq3_xxs_q8_k_avx2, dot_iq3_xxs_q8_k_avx512,
                                  dot_iq3_xxs_q8_k_avx512vnni};
constexpr DotQ8KFn kSDots[4] = {dot_iq3_s_q8_k_ref, dot_iq3_s_q8_k_avx2, dot_iq3_s_q8_k_avx512, dot_iq3_s_q8_k_avx512vnni};

// A few entries of ggml's iq3xxs_grid and iq3s_grid (element i = byte i).
constexpr std::uint32_t kXxs0 = 0x04040404, kXxs5 = 0x04040c3e, kXxs200 = 0x2c043e04, kXxs255 = 0x3e341c04;
constexpr std::uint32_t kS0 = 0x01010101, kS4 = 0x0101010f, kS300 = 0x07030503, kS511 = 0x0f0f0101;

float byteOf(std::uint32_t entry, int i) { return float((entry >> (8 * i)) & 0xff); }

// The dot of one format at one level against the f64 dot of its decoded weights, over random
// bytes (kind 0), quantizer output (1) and the extreme block `extreme` with activations -127 (2).
void checkDots(int level, int bytes, DequantRowFn dequant, QuantizeRowFn quantize, const DotQ8KFn dots[4],
               const std::vector<std::uint8_t>& extreme, std::mt19937& rng) {
    for (int nb : {1, 2, 3, 7, 13})
        for (int kind = 0; kind < 3; ++kind) {
            const int n = nb * 256;
            const std::vector<float> x = gaussian(std::size_t(n), rng);
            const std::vector<float> act = kind == 2 ? std::vector<float>(std::size_t(n), -1.0f) : gaussian(std::size_t(n), rng);
            std::vector<std::uint8_t> w = randomBlocks(bytes, nb, rng);
            if (kind == 1) quantize(x.data(), n, w.data());
            for (int b = 0; kind == 2 && b < nb; ++b) std::memcpy(&w[std::size_t(b * bytes + 2)], &extreme[2], std::size_t(bytes - 2));
            checkDot(dots[level], dequant, w, act, QString("nb=%1 kind=%2").arg(nb).arg(kind));
        }
}

}  // namespace

class TestQuantIq3 : public QObject {
    Q_OBJECT
private slots:
    void iq3xxsHandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(kXxsBytes, 0);
        putHalf(&b[0], 0x3c00);  // d = 1
        // Sub-block 2 (elements 64..95): ls = 5, so db = (0.5 + 5) * 0.5 = 2.75. Its group 3
        // (elements 88..95) uses grid bytes qs[16 + 6] and qs[16 + 7]; seven sign bits
        // 0b0000101 at bits 21..27 (even: element 95 stays positive). Group 0 (64..71): sign
        // bits 0b0000001 (odd: the parity bit makes element 71 negative too), entries 0.
        b[2 + 16 + 6] = 200;
        b[2 + 16 + 7] = 255;
        const std::uint32_t aux = (5u << 28) | (0b0000101u << 21) | 0b0000001u;
        std::memcpy(&b[66 + 8], &aux, 4);
        std::vector<float> out(256);
        dequant_row_iq3_xxs_ref(b.data(), 256, out.data());
        QCOMPARE(out[88], 2.75f * -byteOf(kXxs200, 0));
        QCOMPARE(out[89], 2.75f * byteOf(kXxs200, 1));  // 62
        QCOMPARE(out[90], 2.75f * -byteOf(kXxs200, 2));
        QCOMPARE(out[91], 2.75f * byteOf(kXxs200, 3));
        QCOMPARE(out[93], 2.75f * byteOf(kXxs255, 1));
        QCOMPARE(out[95], 2.75f * byteOf(kXxs255, 3));
        QCOMPARE(out[64], 2.75f * -byteOf(kXxs0, 0));
        QCOMPARE(out[65], 2.75f * byteOf(kXxs0, 1));
        QCOMPARE(out[71], 2.75f * -byteOf(kXxs0, 3));
        QCOMPARE(out[0], 0.25f * byteOf(kXxs0, 0));  // ls = 0: db = 0.25
    }

    void iq3sHandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(kSBytes, 0);
        putHalf(&b[0], 0x3800);  // d = 0.5
        // Sub-block 5 (elements 160..191): scale 6 in the high nibble of scales[2], db = 0.5 *
        // 13. Group 21 (elements 168..175): indices qs[42] | bit 2 of qh[5] << 8 = 300 and
        // qs[43] | bit 3 of qh[5] << 8 = 511; signs[21] = 0x81 (elements 168 and 175 negative).
        b[2 + 42] = 300 - 256;
        b[2 + 43] = 255;
        b[66 + 5] = 0b1100;
        b[74 + 21] = 0x81;
        b[106 + 2] = 6 << 4;
        std::vector<float> out(256);
        dequant_row_iq3_s_ref(b.data(), 256, out.data());
        QCOMPARE(out[168], 6.5f * -byteOf(kS300, 0));
        QCOMPARE(out[169], 6.5f * byteOf(kS300, 1));
        QCOMPARE(out[171], 6.5f * byteOf(kS300, 3));
        QCOMPARE(out[172], 6.5f * byteOf(kS511, 0));
        QCOMPARE(out[174], 6.5f * byteOf(kS511, 2));  // 15
        QCOMPARE(out[175], -6.5f * byteOf(kS511, 3));
        QCOMPARE(out[160], 6.5f * byteOf(kS0, 0));   // group 20: entry 0
        QCOMPARE(out[128], 0.5f * byteOf(kS0, 0));   // sub-block 4: scale 0, db = d
    }

    void theTableNamesTheseFunctions() {
        QCOMPARE(quantFormat(QuantType::IQ3_XXS).blockBytes, 98);
        QCOMPARE(quantFormat(QuantType::IQ3_XXS).blockElems, 256);
        QVERIFY(quantFormat(QuantType::IQ3_XXS).dequantRow == dequant_row_iq3_xxs_ref);
        QVERIFY(quantFormat(QuantType::IQ3_XXS).quantizeRow == quantize_row_iq3_xxs_ref);
        QCOMPARE(quantFormat(QuantType::IQ3_S).blockBytes, 110);
        QVERIFY(quantFormat(QuantType::IQ3_S).dequantRow == dequant_row_iq3_s_ref);
        QVERIFY(quantFormat(QuantType::IQ3_S).quantizeRow == quantize_row_iq3_s_ref);
    }

    void iq3xxsIntegerDotMatchesDecodedDot_data() { addLevelRows(); }
    void iq3xxsIntegerDotMatchesDecodedDot() {
        QFETCH(int, level);
        if (const char* why = missingLevel(level)) QSKIP(why);
        // Extreme: entry 5 (holds 62) everywhere, every sign negative, ls = 15.
        std::vector<std::uint8_t> extreme(kXxsBytes, 0xff);
        std::memset(&extreme[2], 5, 64);
        std::mt19937 rng(47);
        checkDots(level, kXxsBytes, dequant_row_iq3_xxs_ref, quantize_row_iq3_xxs_ref, kXxsDots, extreme, rng);
    }

    void iq3sIntegerDotMatchesDecodedDot_data() { addLevelRows(); }
    void iq3sIntegerDotMatchesDecodedDot() {
        QFETCH(int, level);
        if (const char* why = missingLevel(level)) QSKIP(why);
        // Extreme: every byte 0xff: entry 511 (holds 15), every sign negative, scale 15.
        const std::vector<std::uint8_t> extreme(kSBytes, 0xff);
        std::mt19937 rng(53);
        checkDots(level, kSBytes, dequant_row_iq3_s_ref, quantize_row_iq3_s_ref, kSDots, extreme, rng);
    }

    void gridPointsSurviveTheQuantizers() {
        // d = 0.5; sub-block j has scale ls[j] (the largest 15) and entries that include the
        // grid's largest magnitude, with signs of even parity per 8 (IQ3_XXS needs it).
        const int ls[8] = {15, 0, 7, 3, 11, 1, 15, 9};
        const std::uint32_t xxs[4] = {kXxs5, kXxs200, kXxs255, kXxs0}, s[4] = {kS4, kS300, kS511, kS0};
        std::vector<float> x(256), y(256), out(256);
        for (int e = 0; e < 256; ++e) {
            const float sign = (e % 8 == 1 || e % 8 == 6) && e % 3 != 0 ? -1.0f : 1.0f;
            const int j = e / 32, entry = (e / 4 + j) % 4;
            x[std::size_t(e)] = 0.5f * (0.5f + float(ls[j])) * 0.5f * byteOf(xxs[entry], e % 4) * sign;
            y[std::size_t(e)] = 0.5f * float(1 + 2 * ls[j]) * byteOf(s[entry], e % 4) * sign;
        }
        for (int g = 0; g < 32; ++g) {  // even count of negatives in each 8
            int neg = 0;
            for (int i = 0; i < 8; ++i) neg += x[std::size_t(8 * g + i)] < 0;
            if (neg % 2) x[std::size_t(8 * g + 2)] = -x[std::size_t(8 * g + 2)];
        }
        std::vector<std::uint8_t> q(kSBytes);
        quantize_row_iq3_xxs_ref(x.data(), 256, q.data());
        dequant_row_iq3_xxs_ref(q.data(), 256, out.data());
        for (int i = 0; i < 256; ++i) QCOMPARE(out[std::size_t(i)], x[std::size_t(i)]);
        quantize_row_iq3_s_ref(y.data(), 256, q.data());
        dequant_row_iq3_s_ref(q.data(), 256, out.data());
        for (int i = 0; i < 256; ++i) QCOMPARE(out[std::size_t(i)], y[std::size_t(i)]);
    }

    void quantizersStayWithinTheirRoundTripError() {
        // Relative RMS error on unit Gaussians (measured: IQ3_XXS 0.180 at 3.06 bits per
        // weight, IQ3_S 0.130 at 3.44).
        std::mt19937 rng(59);
        const int n = 256 * 128;
        std::vector<float> x = gaussian(std::size_t(n), rng), y(x.size());
        for (int i = 0; i < 256; ++i) x[std::size_t(512 + i)] = 0.0f;  // a zero block
        // A zero sub-block: the grids have no 0, so it decodes to the smallest magnitudes.
        for (int i = 0; i < 32; ++i) x[std::size_t(1024 + i)] = 0.0f;
        const struct {
            int bytes;
            QuantizeRowFn quantize;
            DequantRowFn dequant;
            double bound;
        } formats[] = {{kXxsBytes, quantize_row_iq3_xxs_ref, dequant_row_iq3_xxs_ref, 0.19},
                       {kSBytes, quantize_row_iq3_s_ref, dequant_row_iq3_s_ref, 0.14}};
        for (const auto& f : formats) {
            std::vector<std::uint8_t> q(std::size_t(n / 256 * f.bytes)), again(q.size());
            f.quantize(x.data(), n, q.data());
            f.dequant(q.data(), n, y.data());
            QVERIFY2(relativeRms(x, y) < f.bound, qPrintable(QString::number(relativeRms(x, y))));
            for (int i = 0; i < 256; ++i) QCOMPARE(y[std::size_t(512 + i)], 0.0f);
            for (int i = 0; i < 32; ++i) QVERIFY(std::fabs(y[std::size_t(1024 + i)]) < 0.02f);
            f.quantize(x.data(), n, again.data());
            QVERIFY(q == again);  // deterministic
        }
    }
};

QTEST_APPLESS_MAIN(TestQuantIq3)
#include "test_quant_iq3.moc"
