// ctest-labels: unit
// IQ1_S and IQ1_M (gemm_quant.h): hand-packed super-blocks decode to the values ggml's layout
// defines (grid rows read off iq_grids.cpp by hand); at every ISA level this CPU runs, the
// integer dot with Q8_K activations equals the f64 dot of the decoded weights with the decoded
// activations, on quantizer output and on random bytes, for odd block counts; the reference
// quantizer stays within its error bound on Gaussian data, gives back blocks the format holds
// exactly, and keeps zero and non-finite input finite.

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

constexpr int kSBytes = 50, kMBytes = 56;

void putU16(std::uint8_t* p, std::uint16_t v) { std::memcpy(p, &v, 2); }

struct Format {
    const char* name;
    int bytes;
    DequantRowFn dequant;
    QuantizeRowFn quantize;
    DotQ8KFn dot[4];  // scalar, AVX2, AVX-512, AVX-512 VNNI
};

const Format kFormats[] = {
    {"IQ1_S", kSBytes, dequant_row_iq1_s_ref, quantize_row_iq1_s_ref,
     {dot_iq1_s_q8_k_ref, dot_iq1_s_q8_k_avx2, dot_iq1_s_q8_k_avx512, dot_iq1_s_q8_k_avx512vnni}},
    {"IQ1_M", kMBytes, dequant_row_iq1_m_ref, quantize_row_iq1_m_ref,
     {dot_iq1_m_q8_k_ref, dot_iq1_m_q8_k_avx2, dot_iq1_m_q8_k_avx512, dot_iq1_m_q8_k_avx512vnni}},
};

// Stores the f16 d of block `blk` (IQ1_M: spread over the top nibbles of its scale words).
void putD(const Format& f, std::uint8_t* blk, std::uint16_t h) {
    if (f.bytes == kSBytes) {
        putU16(blk, h);
        return;
    }
    for (int i = 0; i < 4; ++i) blk[48 + 2 * i + 1] = std::uint8_t((blk[48 + 2 * i + 1] & 0x0f) | ((h >> (4 * i)) & 15) << 4);
}

// Random bytes with a finite d of moderate size in every block (any other byte is valid).
std::vector<std::uint8_t> randomBlocks(const Format& f, std::int64_t nb, std::mt19937& rng) {
    std::vector<std::uint8_t> w = randomBytes(std::size_t(nb * f.bytes), rng);
    for (std::int64_t b = 0; b < nb; ++b) putD(f, &w[std::size_t(b * f.bytes)], randomHalf(rng));
    return w;
}

}  // namespace

class TestQuantIq1 : public QObject {
    Q_OBJECT
private slots:
    void iq1sHandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(kSBytes, 0);
        putU16(&b[0], 0x3800);  // d = 0.5
        // Sub-block 2 (elements 64..95), qh[2]: scale field 3 (ls = 7), bit 15 (shift -1/8), and
        // group 1's index high bits 5 (bits 3..5). Group 1 (elements 72..79): index qs[9] | 5 << 8
        // = 0x5a3, whose grid row 0x01ffffff01ffffff reads -1, -1, -1, 1, -1, -1, -1, 1. Groups 0,
        // 2, 3 use index 0: all -1.
        putU16(&b[34 + 2 * 2], 0x8000 | 3 << 12 | 5 << 3);
        b[2 + 9] = 0xa3;
        // Sub-block 7: ls = 1, shift +1/8; group 3 (elements 248..255) index 0xff | 7 << 8 = 0x7ff,
        // grid row 0x0101010101010101 (all 1).
        putU16(&b[34 + 2 * 7], 7 << 9);
        b[2 + 31] = 0xff;
        std::vector<float> out(256);
        dequant_row_iq1_s_ref(b.data(), 256, out.data());
        QCOMPARE(out[72], 0.5f * 7 * (-1 - 0.125f));
        QCOMPARE(out[75], 0.5f * 7 * (1 - 0.125f));
        QCOMPARE(out[79], 3.0625f);
        QCOMPARE(out[64], -3.9375f);
        QCOMPARE(out[0], 0.5f * 1 * (-1 + 0.125f));
        QCOMPARE(out[248], 0.5f * (1 + 0.125f));
        QCOMPARE(out[247], -0.4375f);
    }

    void iq1mHandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(kMBytes, 0);
        // d = 0.5 = 0x3800: nibbles 0, 0, 8, 3 in the tops of scale words 0..3.
        putU16(&b[48 + 2 * 2], 0x8000 | 5 << 3);  // scale of group pair 9: word 2, field 1 = 5 (ls 11)
        putU16(&b[48 + 2 * 3], 0x3000);
        // Pair 9 = groups 18 (elements 144..151) and 19 (152..159), both in qh[9]. Group 18: low
        // nibble 0 (shift +), index qs[18] = 1, row 0xffffffffffffff01 (1, then seven -1). Group
        // 19: high nibble 0xc = index bits 4 | shift -, index 0x400, row 0x0000000000ff0100 (0,
        // 1, -1, then zeros).
        b[18] = 0x01;
        b[32 + 9] = 0xc0;
        std::vector<float> out(256);
        dequant_row_iq1_m_ref(b.data(), 256, out.data());
        QCOMPARE(out[144], 0.5f * 11 * (1 + 0.125f));
        QCOMPARE(out[145], 0.5f * 11 * (-1 + 0.125f));
        QCOMPARE(out[152], 0.5f * 11 * (0 - 0.125f));
        QCOMPARE(out[153], 4.8125f);
        QCOMPARE(out[154], -6.1875f);
        QCOMPARE(out[159], -0.6875f);
        QCOMPARE(out[0], 0.5f * 1 * (-1 + 0.125f));  // pair 0: field 0 of word 0 is 0 (ls 1)
        QCOMPARE(out[255], -0.4375f);               // pair 15: field 3 of word 3 is 0
    }

    void integerDotMatchesDecodedDot_data() {
        QTest::addColumn<int>("format");
        QTest::addColumn<int>("level");
        for (int f = 0; f < 2; ++f)
            for (int l = 0; l < 4; ++l) QTest::newRow(qPrintable(QString("%1 %2").arg(kFormats[f].name, kLevels[l].name))) << f << l;
    }

    void integerDotMatchesDecodedDot() {
        QFETCH(int, format);
        QFETCH(int, level);
        if (const char* why = missingLevel(level)) QSKIP(why);
        const Format& f = kFormats[format];
        std::mt19937 rng(std::uint32_t(17 + 5 * format + level));
        for (const bool random : {false, true})  // quantizer output, random bytes
            for (const std::int64_t nb : {1, 3, 7, 13})
                for (int rep = 0; rep < 4; ++rep) {
                    const std::int64_t n = nb * 256;
                    std::vector<std::uint8_t> w = random ? randomBlocks(f, nb, rng) : std::vector<std::uint8_t>(std::size_t(nb * f.bytes));
                    if (!random) f.quantize(gaussian(std::size_t(n), rng).data(), n, w.data());
                    const std::vector<float> x = gaussian(std::size_t(n), rng, rep % 2 ? 4.0f : 1.0f);
                    checkDot(f.dot[level], f.dequant, w, x, QString("%1 bytes=%2 nb=%3").arg(f.name).arg(random).arg(nb), 1e-6);
                }
    }

    // Relative RMS error on N(0, 1) data, measured 0.444 (IQ1_S) and 0.412 (IQ1_M).
    void quantizerErrorOnGaussianData() {
        std::mt19937 rng(5);
        const std::vector<float> x = gaussian(256 * 64, rng);
        const double bound[] = {0.46, 0.43};
        for (int fi = 0; fi < 2; ++fi) {
            const Format& f = kFormats[fi];
            std::vector<std::uint8_t> w(std::size_t(64 * f.bytes)), again(w.size());
            f.quantize(x.data(), std::int64_t(x.size()), w.data());
            f.quantize(x.data(), std::int64_t(x.size()), again.data());
            QVERIFY2(w == again, f.name);  // deterministic
            std::vector<float> y(x.size());
            f.dequant(w.data(), std::int64_t(x.size()), y.data());
            const double err = relativeRms(x, y);
            QVERIFY2(err <= bound[fi], qPrintable(QString("%1: %2").arg(f.name).arg(err)));
        }
    }

    // Values the format holds exactly (d = 0.25, one run at ls 15, any grid rows and signs) are
    // found again.
    void quantizerReproducesRepresentableBlocks() {
        std::mt19937 rng(23);
        for (const Format& f : kFormats)
            for (int rep = 0; rep < 20; ++rep) {
                std::vector<std::uint8_t> w = randomBlocks(f, 1, rng);
                putD(f, w.data(), 0x3400);
                if (f.bytes == kSBytes)
                    w[34 + 1] |= 0x70;  // sub-block 0: scale field 7
                else
                    w[48] |= 7;  // group pair 0: field 0 of word 0 = 7
                std::vector<float> x(256), y(256);
                f.dequant(w.data(), 256, x.data());
                std::vector<std::uint8_t> w2(w.size());
                f.quantize(x.data(), 256, w2.data());
                f.dequant(w2.data(), 256, y.data());
                for (int i = 0; i < 256; ++i) QVERIFY2(x[std::size_t(i)] == y[std::size_t(i)], qPrintable(QString("%1 rep %2 i %3").arg(f.name).arg(rep).arg(i)));
            }
    }

    void quantizerKeepsZeroAndNonFiniteInputFinite() {
        std::mt19937 rng(2);
        std::vector<float> x = gaussian(3 * 256, rng);
        for (int i = 0; i < 256; ++i) x[std::size_t(i)] = 0.0f;
        x[300] = NAN, x[301] = INFINITY, x[302] = -INFINITY;
        for (int i = 512; i < 768; ++i) x[std::size_t(i)] = (i % 2 ? 3e38f : -3e38f);
        for (const Format& f : kFormats) {
            std::vector<std::uint8_t> w(std::size_t(3 * f.bytes));
            f.quantize(x.data(), 3 * 256, w.data());
            std::vector<float> y(x.size());
            f.dequant(w.data(), 3 * 256, y.data());
            for (int i = 0; i < 256; ++i) QCOMPARE(y[std::size_t(i)], 0.0f);
            for (float v : y) QVERIFY2(std::isfinite(v), f.name);
        }
    }
};

QTEST_APPLESS_MAIN(TestQuantIq1)
#include "test_quant_iq1.moc"
