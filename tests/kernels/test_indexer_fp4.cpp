// ctest-labels: unit
// The indexer's integer scoring (indexer_fp4.h): packed MXFP4 keys against a packed query.
// * The `_ref` agrees with the formula of model spec §5.2 computed in double over the values
//   the codes and scales stand for (each key read by fp4_dequant_e2m1_f32_ref, the cache's own
//   decoder), and with the float kernel (indexer_score_f32_ref) over those values, to rounding.
// * Every level this CPU runs (AVX2, AVX-VNNI, AVX-512, AVX-512 VNNI) gives the `_ref`'s bits,
//   on head counts that need padding (1, 5, 20), widths of 1, 3, 4 and 128 blocks (4096, the
//   largest index_head_dim a model may have), key runs of 0 …
//   33 with a gap between keys, the extreme codes (±12 against 0 and 24 after the key offset),
//   and scale bytes at 0 (a subnormal), 255 (NaN: the head adds 0) and large enough to
//   overflow to infinity.
// * Padding heads add nothing, and the packer writes the layout the header documents.

#include <QtTest>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "atelier/kernels/cpu_features.h"
#include "atelier/kernels/fp8_cast.h"
#include "atelier/kernels/indexer_fp4.h"
#include "atelier/kernels/indexer_score.h"
#include "atelier/kernels/kernel_table.h"

using namespace atelier::kernels;

namespace {

constexpr int kDoubled[8] = {0, 1, 2, 3, 4, 6, 8, 12};  // 2·e2m1 of the magnitude codes

struct Case {
    int nI, cI;
    std::int64_t n, stride;
    std::vector<std::uint8_t> keys;  // [n, stride]
    std::vector<std::int8_t> codes;  // [nI, cI]
    std::vector<float> scales, w;    // [nI, cI/32], [nI]
    std::vector<float> packed;       // the packed query
    IndexerQueryFp4 query;
};

// Scale bytes near 127 (values about 1) unless `extreme`, which mixes in 0, 255 and 250.
Case makeCase(int nI, int cI, std::int64_t n, std::mt19937& rng, bool extreme) {
    Case c{nI, cI, n, cI / 2 + cI / 32 + 5, {}, {}, {}, {}, {}, {}};
    c.keys.assign(std::size_t(n * c.stride), 0xAB);  // the gap bytes must not be read
    for (std::int64_t s = 0; s < n; ++s) {
        std::uint8_t* key = c.keys.data() + s * c.stride;
        for (int i = 0; i < cI / 2; ++i) key[i] = std::uint8_t(rng());
        if (s == 0)  // all +6 (byte 24 after the offset) and all −6 (byte 0)
            for (int i = 0; i < cI / 2; ++i) key[i] = i < cI / 4 ? 0x77 : 0xFF;
        for (int b = 0; b < cI / 32; ++b) {
            std::uint8_t e = std::uint8_t(122 + rng() % 10);
            if (extreme) {
                const int pick = int(rng() % 6);
                e = pick == 0 ? 0 : pick == 1 ? 255 : pick == 2 ? 250 : e;
            }
            key[cI / 2 + b] = e;
        }
    }
    c.codes.resize(std::size_t(nI * cI));
    for (std::size_t i = 0; i < c.codes.size(); ++i)
        c.codes[i] = std::int8_t((rng() % 2 ? -1 : 1) * kDoubled[rng() % 8]);
    for (int i = 0; i < cI && nI > 0; ++i) c.codes[std::size_t(i)] = std::int8_t(i % 2 ? -12 : 12);
    c.scales.resize(std::size_t(nI * (cI / 32)));
    for (auto& s : c.scales) s = std::ldexp(1.0f, int(rng() % 8) - 5);
    if (extreme) c.scales[0] = std::ldexp(1.0f, -126), c.scales.back() = std::ldexp(1.0f, 100);
    c.w.resize(std::size_t(nI));
    for (auto& v : c.w) v = std::uniform_real_distribution<float>(-1.0f, 1.0f)(rng);
    c.packed.assign(indexerQueryFp4Bytes(nI, cI) / 4, -7.0f);
    c.query = indexer_query_fp4_pack(c.codes.data(), c.scales.data(), c.w.data(), nI, cI, c.packed.data());
    return c;
}

std::vector<float> refScores(const Case& c) {
    std::vector<float> out(std::size_t(c.n + 1), 3.0f);
    indexer_score_fp4_ref(c.query, c.keys.data(), c.stride, c.n, out.data());
    return out;
}

struct Level {
    const char* name;
    IsaLevel isa;
    bool vnni;
};
const Level kLevels[] = {{"AVX2", IsaLevel::Avx2, false},
                         {"AVX-VNNI", IsaLevel::Avx2, true},
                         {"AVX-512", IsaLevel::Avx512, false},
                         {"AVX-512 VNNI", IsaLevel::Avx512, true}};

bool levelRuns(const Level& lv) {
    if (!isaSupported(lv.isa)) return false;
    if (!lv.vnni) return true;
    return lv.isa == IsaLevel::Avx512 ? cpuFeatures().avx512vnni : cpuFeatures().avxvnni;
}

}  // namespace

class IndexerFp4Test : public QObject {
    Q_OBJECT
private slots:
    void referenceMatchesTheFormula() {
        std::mt19937 rng(5);
        for (int nI : {1, 5, 20, 64})
            for (int cI : {32, 96, 128, 4096})
                for (std::int64_t n : {1, 9, 33}) {
                    const Case c = makeCase(nI, cI, n, rng, false);
                    const std::vector<float> got = refScores(c);
                    QCOMPARE(got[std::size_t(n)], 3.0f);  // nothing written past n
                    std::vector<float> q(std::size_t(nI * cI));
                    std::vector<float> key(static_cast<std::size_t>(cI));
                    std::vector<float> viaFloat(static_cast<std::size_t>(n));
                    for (int h = 0; h < nI; ++h)
                        for (int i = 0; i < cI; ++i)
                            q[std::size_t(h * cI + i)] = float(c.codes[std::size_t(h * cI + i)]) / 2 *
                                                         c.scales[std::size_t(h * (cI / 32) + i / 32)];
                    for (std::int64_t s = 0; s < n; ++s) {
                        const std::uint8_t* packedKey = c.keys.data() + s * c.stride;
                        fp4_dequant_e2m1_f32_ref(packedKey, packedKey + cI / 2, cI, key.data());
                        indexer_score_f32_ref(q.data(), c.w.data(), nI, cI, key.data(), 1, &viaFloat[std::size_t(s)]);
                        double want = 0, mag = 0;
                        for (int h = 0; h < nI; ++h) {
                            double d = 0, dm = 0;
                            for (int i = 0; i < cI; ++i) {
                                const double p = double(q[std::size_t(h * cI + i)]) * key[std::size_t(i)];
                                d += p;
                                dm += std::fabs(p);
                            }
                            want += c.w[std::size_t(h)] * std::max(d, 0.0);
                            mag += std::fabs(c.w[std::size_t(h)]) * dm;
                        }
                        const float g = got[std::size_t(s)];
                        QVERIFY2(std::fabs(g - want) <= 1e-6 * mag + 1e-30,
                                 qPrintable(QString("nI=%1 cI=%2 s=%3: %4 vs %5").arg(nI).arg(cI).arg(s).arg(g).arg(want)));
                        QVERIFY(std::fabs(g - viaFloat[std::size_t(s)]) <= 2e-6 * mag + 1e-30);
                    }
                }
    }

    void everyLevelGivesTheReferenceBits() {
        QStringList absent;
        std::mt19937 rng(17);
        for (bool extreme : {false, true})
            for (int nI : {1, 5, 20, 64})
                for (int cI : {32, 96, 128, 4096})
                    for (std::int64_t n : {0, 1, 7, 33}) {
                        const Case c = makeCase(nI, cI, n, rng, extreme);
                        const std::vector<float> want = refScores(c);
                        for (const Level& lv : kLevels) {
                            if (!levelRuns(lv)) {
                                if (!absent.contains(lv.name)) absent << lv.name;
                                continue;
                            }
                            std::vector<float> got(std::size_t(n + 1), 3.0f);
                            cpuKernels(lv.isa, lv.vnni).indexerScoreFp4(c.query, c.keys.data(), c.stride, n, got.data());
                            QVERIFY2(std::memcmp(got.data(), want.data(), got.size() * 4) == 0,
                                     qPrintable(QString("%1, nI=%2 cI=%3 n=%4 extreme=%5")
                                                    .arg(lv.name).arg(nI).arg(cI).arg(n).arg(extreme)));
                        }
                    }
        if (!absent.isEmpty()) QSKIP(qPrintable("checked the levels this CPU has; not available here: " + absent.join(", ")));
    }

    void extremeScalesGiveInfinityOrIgnoreTheHead() {
        // A key whose scale overflows the dot gives ±inf through the head's weight; a NaN
        // scale (byte 255) makes the head's d NaN, and max(NaN, 0) = 0, so it adds nothing.
        const int nI = 1, cI = 32;
        std::vector<std::int8_t> codes(std::size_t(cI), 12);
        std::vector<float> scales = {std::ldexp(1.0f, 100)}, w = {0.5f};
        std::vector<float> packed(indexerQueryFp4Bytes(nI, cI) / 4);
        const IndexerQueryFp4 q = indexer_query_fp4_pack(codes.data(), scales.data(), w.data(), nI, cI, packed.data());
        std::vector<std::uint8_t> keys(std::size_t(2 * (cI / 2 + 1)));
        for (int i = 0; i < cI / 2; ++i) keys[std::size_t(i)] = keys[std::size_t(cI / 2 + 1 + i)] = 0x77;  // +6
        keys[std::size_t(cI / 2)] = 250;          // 2^123: 2^100 · 2^123 overflows
        keys[std::size_t(2 * (cI / 2) + 1)] = 255;  // NaN
        float out[2];
        indexer_score_fp4_ref(q, keys.data(), cI / 2 + 1, 2, out);
        QVERIFY(std::isinf(out[0]) && out[0] > 0);
        QCOMPARE(out[1], 0.0f);
    }

    void thePackerWritesTheDocumentedLayout() {
        std::mt19937 rng(3);
        const int nI = 5, cI = 64, heads = indexerPaddedHeads(nI);
        QCOMPARE(heads, 16);
        const Case c = makeCase(nI, cI, 1, rng, false);
        const IndexerQueryFp4& q = c.query;
        QCOMPARE(q.heads, 16);
        QCOMPARE(q.dim, cI);
        QCOMPARE(indexerQueryFp4Bytes(nI, cI) % 64, std::size_t(0));
        for (int h = 0; h < heads; ++h) {
            QCOMPARE(q.weights[h], h < nI ? c.w[std::size_t(h)] : 0.0f);
            for (int b = 0; b < cI / 32; ++b) {
                int sum = 0;
                for (int i = 32 * b; i < 32 * b + 32; ++i) {
                    const int code = h < nI ? c.codes[std::size_t(h * cI + i)] : 0;
                    QCOMPARE(int(q.codes[((i / 4) * heads + h) * 4 + i % 4]), code);
                    sum += code;
                }
                QCOMPARE(q.offsets[b * heads + h], -12 * sum);
                if (h < nI) QCOMPARE(q.scales[b * heads + h], c.scales[std::size_t(h * (cI / 32) + b)] / 4);
            }
        }
    }
};

QTEST_APPLESS_MAIN(IndexerFp4Test)
#include "test_indexer_fp4.moc"
