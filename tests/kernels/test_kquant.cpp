// ctest-labels: unit
// K-quant kernels (Q4_K, Q5_K, Q6_K, Q2_K): each format decodes a hand-packed block to the values the
// ggml layout defines; the integer dot with Q8_K activations equals the f64 dot of the decoded
// weights with the decoded activations; every dispatch level (AVX-512 VNNI included) matches the
// scalar reference on shapes with odd row counts, odd super-block counts and batched tokens, and
// gives a token the same bits alone and anywhere in a batch; and the f32 entry point stays within
// the activation rounding bound of decodeRow + f32 dot.

#include <QtTest>

#include <cmath>
#include <cstring>
#include <iterator>
#include <random>
#include <vector>

#include "atelier/kernels/cpu_features.h"
#include "atelier/kernels/gemm_kquant.h"
#include "gemm_test_weights.h"

using namespace atelier::kernels;
using gemm_test::putHalf;

namespace {

void dequant(KQuant type, const std::uint8_t* w, std::int64_t n, float* out) {
    switch (type) {
    case KQuant::Q4_K: dequant_row_q4_k_ref(w, n, out); break;
    case KQuant::Q6_K: dequant_row_q6_k_ref(w, n, out); break;
    case KQuant::Q2_K: dequant_row_q2_k_ref(w, n, out); break;
    case KQuant::Q5_K: dequant_row_q5_k_ref(w, n, out); break;
    }
}

const char* name(KQuant t) {
    static const char* names[] = {"Q4_K", "Q6_K", "Q2_K", "Q5_K"};
    return names[int(t)];
}

// The levels a product can run at, with the name a skip reports. The VNNI bodies are picked
// inside the AVX2 level (AVX-VNNI) and the AVX-512 level (AVX-512 VNNI) when the CPU has them;
// "AVX2" and "AVX-512" alone clear allowVnni.
struct Level {
    const char* name;
    IsaLevel isa;
    bool vnni;
};
constexpr Level kLevels[] = {
    {"scalar", IsaLevel::Scalar, false},
    {"AVX2", IsaLevel::Avx2, false},
    {"AVX-VNNI", IsaLevel::Avx2, true},
    {"AVX-512", IsaLevel::Avx512, false},
    {"AVX-512 VNNI", IsaLevel::Avx512, true},
};
constexpr int kLevelCount = int(std::size(kLevels));

bool levelRuns(const Level& l) {
    if (!isaSupported(l.isa)) return false;
    if (!l.vnni) return true;
    return l.isa == IsaLevel::Avx512 ? cpuFeatures().avx512vnni : cpuFeatures().avxvnni;
}

void addLevelRows() {
    QTest::addColumn<int>("level");
    for (int l = 0; l < kLevelCount; ++l) QTest::newRow(kLevels[l].name) << l;
}

// Random weights of `type` and Q8_K-rounded normal activations x [T, nb · 256].
struct Product {
    std::vector<std::uint8_t> w;
    std::vector<BlockQ8K> xq;
};
Product randomProduct(KQuant type, std::int64_t rows, std::int64_t nb, std::int64_t T, std::mt19937& rng) {
    std::normal_distribution<float> nd(0.0f, 1.0f);
    const std::int64_t cols = nb * 256;
    Product p{gemm_test::randomKQuantBlocks(type, rows * nb, rng), std::vector<BlockQ8K>(std::size_t(T * nb))};
    std::vector<float> x(static_cast<std::size_t>(T * cols));
    for (auto& v : x) v = nd(rng);
    for (std::int64_t t = 0; t < T; ++t) quantize_row_q8_k_ref(x.data() + t * cols, cols, p.xq.data() + t * nb);
    return p;
}

// Σ |w_k · a_k| over row r and token t of a product: the scale of the float rounding in their dot.
double magnitude(KQuant type, const Product& p, std::int64_t r, std::int64_t t, std::int64_t nb) {
    std::vector<float> row(static_cast<std::size_t>(nb * 256));
    dequant(type, p.w.data() + std::size_t(r * nb) * kquantBlockBytes(type), nb * 256, row.data());
    double m = 0;
    for (std::int64_t k = 0; k < nb * 256; ++k) {
        const BlockQ8K& a = p.xq[std::size_t(t * nb + k / 256)];
        m += std::fabs(double(row[std::size_t(k)]) * a.d * a.qs[k % 256]);
    }
    return m;
}

}  // namespace

class TestKQuant : public QObject {
    Q_OBJECT
private slots:
    void q4kHandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(144, 0);
        putHalf(&b[0], 0x3c00);  // d = 1
        putHalf(&b[2], 0x3800);  // dmin = 0.5
        // sub-block 1: sc = 3, m = 2 (bytes 1 and 5); sub-block 6: sc = 37 = 0b100101, m = 50 =
        // 0b110010: low 4 bits in byte 10, high 2 bits in the top of bytes 2 and 6.
        b[4 + 1] = 3; b[4 + 5] = 2;
        b[4 + 10] = std::uint8_t((37 & 15) | ((50 & 15) << 4));
        b[4 + 2] = std::uint8_t((37 >> 4) << 6);
        b[4 + 6] = std::uint8_t((50 >> 4) << 6);
        b[16 + 5] = 0x70;        // element 32 + 5 (high nibble of chunk 0): code 7
        b[16 + 96 + 9] = 0x0b;   // element 192 + 9 (low nibble of chunk 3): code 11
        std::vector<float> out(256);
        dequant_row_q4_k_ref(b.data(), 256, out.data());
        QCOMPARE(out[37], 1.0f * 3 * 7 - 0.5f * 2);
        QCOMPARE(out[33], -1.0f);
        QCOMPARE(out[201], 1.0f * 37 * 11 - 0.5f * 50);
        QCOMPARE(out[200], -25.0f);
        QCOMPARE(out[0], 0.0f);
    }

    void q6kHandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(210, 0);
        putHalf(&b[208], 0x4000);  // d = 2
        for (int g = 0; g < 16; ++g) b[192 + g] = std::uint8_t(std::int8_t(g - 8));
        // element 128 + 64 + 3 (n = 1, k = 2, l = 3): high nibble of ql[64 + 3], bits 4-5 of qh[32 + 3]
        b[64 + 3] = 0x50;
        b[128 + 32 + 3] = 0x20;  // high bits 2 -> code 5 | 2 << 4 = 37
        std::vector<float> out(256);
        dequant_row_q6_k_ref(b.data(), 256, out.data());
        QCOMPARE(out[195], 2.0f * float(12 - 8) * float(37 - 32));
        QCOMPARE(out[3], 2.0f * float(0 - 8) * -32.0f);  // code 0 stands for -32
    }

    void q2kHandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(84, 0);
        putHalf(&b[80], 0x3c00);  // d = 1
        putHalf(&b[82], 0x3400);  // dmin = 0.25
        b[13] = 0x35;             // sub-block 13: scale 5, min 3
        // element 128 + 96 + 20 (n = 1, k = 3, l = 20) = 244, sub-block 15; element 212 (k = 2,
        // l = 20) is sub-block 13: code in bits 4-5 of qs[32 + 20]
        b[16 + 32 + 20] = 0x20;   // k = 2 code 2
        std::vector<float> out(256);
        dequant_row_q2_k_ref(b.data(), 256, out.data());
        QCOMPARE(out[212], 5.0f * 2 - 0.25f * 3);
        QCOMPARE(out[213], -0.75f);
        QCOMPARE(out[244], 0.0f);
    }

    void q5kHandPackedBlockDecodes() {
        std::vector<std::uint8_t> b(176, 0);
        putHalf(&b[0], 0x3c00);  // d = 1
        putHalf(&b[2], 0x3800);  // dmin = 0.5
        // scales as Q4_K: sub-block 3 (the high nibbles of chunk 1): sc = 9, m = 4 (bytes 3, 7);
        // sub-block 4 (low nibbles of chunk 2): sc = 20 = 0b010100, m = 33 = 0b100001, low 4
        // bits in byte 8, high 2 bits in the top of bytes 0 and 4.
        b[4 + 3] = 9; b[4 + 7] = 4;
        b[4 + 8] = std::uint8_t((20 & 15) | ((33 & 15) << 4));
        b[4 + 0] = std::uint8_t((20 >> 4) << 6);
        b[4 + 4] = std::uint8_t((33 >> 4) << 6);
        // element 64 + 32 + 6 = 102 (chunk 1, high nibble): nibble 5 of qs[32 + 6], fifth bit is
        // bit 3 of qh[6] -> code 21; element 128 + 6 (chunk 2, low nibble): nibble 14 of
        // qs[64 + 6], bit 4 of qh[6] clear -> code 14.
        b[48 + 32 + 6] = 0x50;
        b[48 + 64 + 6] = 0x0e;
        b[16 + 6] = 0x08;
        std::vector<float> out(256);
        dequant_row_q5_k_ref(b.data(), 256, out.data());
        QCOMPARE(out[102], 1.0f * 9 * 21 - 0.5f * 4);
        QCOMPARE(out[134], 1.0f * 20 * 14 - 0.5f * 33);
        QCOMPARE(out[70], 0.0f);   // chunk 1 low nibbles: sub-block 2, sc = m = 0
        QCOMPARE(out[103], -2.0f);  // code 0 in sub-block 3
        QCOMPARE(out[38], 0.0f);   // element 32 + 6: bit 1 of qh[6] clear, nibble 0
    }

    void simdActivationRoundingEqualsTheReference() {
        if (!isaSupported(IsaLevel::Avx2)) QSKIP("no AVX2");
        std::mt19937 rng(13);
        std::normal_distribution<float> nd(0.0f, 1.0f);
        const std::int64_t n = 5 * 256;
        std::vector<float> x(static_cast<std::size_t>(n));
        for (auto& v : x) v = nd(rng);
        for (int i = 0; i < 256; ++i) x[std::size_t(256 + i)] = float(i % 255) - 127.0f + (i % 2 ? 0.5f : 0.0f);
        x[256 + 7] = 127.0f;  // amax 127: scale 1, so the .5 values above are exact ties
        for (int i = 0; i < 256; ++i) x[std::size_t(512 + i)] = 0.0f;  // an all-zero block
        for (int i = 0; i < 256; ++i) x[std::size_t(768 + i)] *= 1e-30f;  // tiny
        std::vector<BlockQ8K> want(5), got(5);
        quantize_row_q8_k_ref(x.data(), n, want.data());
        quantize_row_q8_k_avx2(x.data(), n, got.data());
        for (int b = 0; b < 5; ++b) {
            QCOMPARE(got[std::size_t(b)].d, want[std::size_t(b)].d);
            QVERIFY2(std::memcmp(got[std::size_t(b)].qs, want[std::size_t(b)].qs, 256) == 0, qPrintable(QString("block %1 codes").arg(b)));
            QVERIFY(std::memcmp(got[std::size_t(b)].bsums, want[std::size_t(b)].bsums, sizeof want[0].bsums) == 0);
        }
        QCOMPARE(int(got[1].qs[1]), -126);  // x = -125.5 rounds away from zero
    }

    void integerDotMatchesDecodedDot() {
        std::mt19937 rng(7);
        std::normal_distribution<float> nd(0.0f, 1.0f);
        for (KQuant type : {KQuant::Q4_K, KQuant::Q6_K, KQuant::Q2_K, KQuant::Q5_K}) {
            const std::int64_t nb = 3, n = nb * 256;
            const auto w = gemm_test::randomKQuantBlocks(type, nb, rng);
            std::vector<float> x(static_cast<std::size_t>(n)), wf(static_cast<std::size_t>(n));
            for (auto& v : x) v = nd(rng);
            std::vector<BlockQ8K> xq(static_cast<std::size_t>(nb));
            quantize_row_q8_k_ref(x.data(), n, xq.data());
            dequant(type, w.data(), n, wf.data());
            double want = 0, mag = 0;
            for (std::int64_t i = 0; i < n; ++i) {
                const double a = double(xq[std::size_t(i / 256)].d) * xq[std::size_t(i / 256)].qs[i % 256];
                want += double(wf[std::size_t(i)]) * a;
                mag += std::fabs(double(wf[std::size_t(i)]) * a);
            }
            float got = 0;
            switch (type) {
            case KQuant::Q4_K: got = dot_q4_k_q8_k_ref(w.data(), xq.data(), nb); break;
            case KQuant::Q6_K: got = dot_q6_k_q8_k_ref(w.data(), xq.data(), nb); break;
            case KQuant::Q2_K: got = dot_q2_k_q8_k_ref(w.data(), xq.data(), nb); break;
            case KQuant::Q5_K: got = dot_q5_k_q8_k_ref(w.data(), xq.data(), nb); break;
            }
            QVERIFY2(std::fabs(got - want) <= 1e-5 * mag + 1e-6, name(type));
            // bsums are the sums of each 16 codes
            int s = 0;
            for (int i = 0; i < 16; ++i) s += xq[1].qs[32 + i];
            QCOMPARE(int(xq[1].bsums[2]), s);
        }
    }

    void everyLevelMatchesTheReference_data() { addLevelRows(); }
    void everyLevelMatchesTheReference() {
        QFETCH(int, level);
        const Level& lv = kLevels[level];
        if (!levelRuns(lv)) QSKIP(qPrintable(QStringLiteral("%1 not available on this CPU").arg(lv.name)));
        std::mt19937 rng(11);
        for (KQuant type : {KQuant::Q4_K, KQuant::Q6_K, KQuant::Q2_K, KQuant::Q5_K})
            for (std::int64_t nb : {1, 2, 5})
                for (std::int64_t rows : {1, 3, 17})
                    for (std::int64_t T : {1, 3, 4, 6, 9}) {
                        const std::int64_t cols = nb * 256;
                        const Product p = randomProduct(type, rows, nb, T, rng);
                        const std::int64_t ldy = rows + 2;
                        std::vector<float> ref(std::size_t(T * ldy), -7.0f), y(std::size_t(T * ldy), -7.0f);
                        gemm_kquant_q8_k(IsaLevel::Scalar, type, p.w.data(), cols, 0, rows, p.xq.data(), T, ref.data(), ldy);
                        gemm_kquant_q8_k(lv.isa, type, p.w.data(), cols, 0, rows, p.xq.data(), T, y.data(), ldy, lv.vnni);
                        for (std::int64_t t = 0; t < T; ++t)
                            for (std::int64_t r = 0; r < ldy; ++r) {
                                // The same integer sums, f32 sums in another order: within a few
                                // roundings of Σ |w_k · a_k| (the result itself may cancel to
                                // far less); the two columns past the rows stay untouched.
                                const double mag = r < rows ? magnitude(type, p, r, t, nb) : 0.0;
                                const float a = ref[std::size_t(t * ldy + r)], b = y[std::size_t(t * ldy + r)];
                                QVERIFY2(std::fabs(double(a) - b) <= 1e-6 * mag,
                                         qPrintable(QString("%1 %2 nb=%3 rows=%4 T=%5 r=%6: %7 vs %8")
                                                        .arg(name(type), lv.name)
                                                        .arg(nb).arg(rows).arg(T).arg(r).arg(a).arg(b)));
                            }
                    }
    }

    void tokenResultDoesNotDependOnTheBatch_data() { addLevelRows(); }
    void tokenResultDoesNotDependOnTheBatch() {
        QFETCH(int, level);
        const Level& lv = kLevels[level];
        if (!levelRuns(lv)) QSKIP(qPrintable(QStringLiteral("%1 not available on this CPU").arg(lv.name)));
        // Token tiles of 4 and their tails of 1 to 3: a token alone gives the bits it gets at any
        // place in a batch (issue #4: output does not depend on the batch), and a row the bits it
        // gets in any group of rows.
        std::mt19937 rng(19);
        for (KQuant type : {KQuant::Q4_K, KQuant::Q6_K, KQuant::Q2_K, KQuant::Q5_K}) {
            const std::int64_t rows = 5, nb = 3, cols = nb * 256, maxT = 11;
            const Product p = randomProduct(type, rows, nb, maxT, rng);
            for (std::int64_t T : {2, 3, 4, 5, 11}) {
                std::vector<float> all(std::size_t(T * rows)), one(static_cast<std::size_t>(rows));
                gemm_kquant_q8_k(lv.isa, type, p.w.data(), cols, 0, rows, p.xq.data(), T, all.data(), rows, lv.vnni);
                for (std::int64_t t = 0; t < T; ++t) {
                    gemm_kquant_q8_k(lv.isa, type, p.w.data(), cols, 0, rows, p.xq.data() + t * nb, 1, one.data(), rows, lv.vnni);
                    QVERIFY2(std::memcmp(one.data(), all.data() + t * rows, std::size_t(rows) * 4) == 0,
                             qPrintable(QString("%1 %2 T=%3 token %4").arg(name(type), lv.name).arg(T).arg(t)));
                    // One token runs four rows at a time (decode): a range that starts elsewhere
                    // groups other rows together and must give each row the same bits.
                    std::vector<float> part(static_cast<std::size_t>(rows - 1));
                    gemm_kquant_q8_k(lv.isa, type, p.w.data(), cols, 1, rows, p.xq.data() + t * nb, 1, part.data(), rows, lv.vnni);
                    QVERIFY2(std::memcmp(part.data(), one.data() + 1, std::size_t(rows - 1) * 4) == 0,
                             qPrintable(QString("%1 %2 rows 1.. token %3").arg(name(type), lv.name).arg(t)));
                }
            }
        }
    }

    // AVX-VNNI replaces three instructions by two with the same integer sums (no AVX2 pair sum
    // saturates), so every result is the AVX2 body's bits, for prefill tiles and decode rows.
    void avxVnniGivesTheAvx2Bits() {
        if (!isaSupported(IsaLevel::Avx2) || !cpuFeatures().avxvnni) QSKIP("AVX-VNNI not available on this CPU");
        std::mt19937 rng(31);
        for (KQuant type : {KQuant::Q4_K, KQuant::Q5_K, KQuant::Q6_K, KQuant::Q2_K}) {
            const std::int64_t rows = 9, nb = 4, cols = nb * 256;
            for (std::int64_t T : {1, 2, 5}) {
                const Product p = randomProduct(type, rows, nb, T, rng);
                std::vector<float> plain(std::size_t(T * rows)), vnni(std::size_t(T * rows));
                gemm_kquant_q8_k(IsaLevel::Avx2, type, p.w.data(), cols, 0, rows, p.xq.data(), T, plain.data(), rows, false);
                gemm_kquant_q8_k(IsaLevel::Avx2, type, p.w.data(), cols, 0, rows, p.xq.data(), T, vnni.data(), rows, true);
                QVERIFY2(std::memcmp(plain.data(), vnni.data(), plain.size() * 4) == 0,
                         qPrintable(QString("%1 T=%2").arg(name(type)).arg(T)));
            }
        }
    }

    void f32EntryStaysWithinActivationRounding() {
        std::mt19937 rng(3);
        std::normal_distribution<float> nd(0.0f, 1.0f);
        for (KQuant type : {KQuant::Q4_K, KQuant::Q6_K, KQuant::Q2_K, KQuant::Q5_K}) {
            const std::int64_t rows = 5, nb = 3, cols = nb * 256, T = 2;
            const auto w = gemm_test::randomKQuantBlocks(type, rows * nb, rng);
            std::vector<float> x(static_cast<std::size_t>(T * cols));
            for (auto& v : x) v = nd(rng) * 3.0f;
            std::vector<BlockQ8K> scratch(static_cast<std::size_t>(T * nb));
            std::vector<float> y(static_cast<std::size_t>(T * rows));
            gemm_kquant(type, w.data(), cols, 1, rows, x.data(), T, y.data(), rows, scratch.data());
            std::vector<float> row(static_cast<std::size_t>(cols));
            for (std::int64_t r = 1; r < rows; ++r) {
                dequant(type, w.data() + std::size_t(r * nb) * kquantBlockBytes(type), cols, row.data());
                for (std::int64_t t = 0; t < T; ++t) {
                    double want = 0, bound = 1e-4;
                    for (std::int64_t b = 0; b < nb; ++b) {
                        float amax = 0;
                        for (int i = 0; i < 256; ++i) amax = std::max(amax, std::fabs(x[std::size_t(t * cols + b * 256 + i)]));
                        for (int i = 0; i < 256; ++i) {
                            const std::size_t k = std::size_t(b * 256 + i);
                            want += double(row[k]) * x[std::size_t(t * cols) + k];
                            bound += std::fabs(row[k]) * (amax / 127.0 / 2.0) * 1.01;
                        }
                    }
                    QVERIFY2(std::fabs(y[std::size_t(t * rows + r - 1)] - want) <= bound, name(type));
                }
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestKQuant)
#include "test_kquant.moc"
