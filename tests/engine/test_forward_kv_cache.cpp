// ctest-labels: unit
// ctest-timeout: 900
// The sequence state: fork continues exactly like a fresh run and leaves the parent alone,
// sharing full pages; snapshot/restore continues exactly and rejects damaged, truncated,
// other-version and other-model streams; reset makes a short sequence independent of a long
// one before it; the 584-byte entry and 68-byte MXFP4 key layouts round-trip against
// independent encodings; byte accounting equals computeSizes().

#include <QtTest>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "atelier/engine/kv_cache.h"
#include "atelier/engine/kv_entry.h"
#include "atelier/engine/model.h"
#include "atelier/kernels/kernel_table.h"
#include "forward_test_models.h"

using namespace atelier::engine;
using namespace forward_test;

namespace {

std::unique_ptr<Model> load(WeightScheme scheme, Numerics numerics) {
    auto m = Model::load(weightsIn(tinyConfig(), 5, scheme), ModelOptions{numerics, 1});
    if (!m) qFatal("%s", m.error().message.c_str());
    return std::move(*m);
}

std::vector<float> run(Model& m, KvCache& seq, std::span<const std::int32_t> ids) {
    std::vector<float> logits;
    auto r = m.forward(seq, ids, LogitsRequest::All, logits);
    if (!r) qFatal("%s", r.error().message.c_str());
    return logits;
}

std::vector<float> fresh(Model& m, const std::vector<std::int32_t>& prefix,
                         const std::vector<std::int32_t>& cont) {
    KvCache seq = m.newSequence();
    run(m, seq, prefix);
    return run(m, seq, cont);
}

// Nearest E4M3 code by exhaustive search, ties to the even code: independent of f32ToE4m3.
std::uint8_t nearestE4m3(float v) {
    std::uint8_t best = 0;
    float bestErr = INFINITY;
    for (int b = 0; b < 256; ++b) {
        if ((b & 0x7f) == 0x7f) continue;
        const float err = std::fabs(e4m3ToF32(std::uint8_t(b)) - v);
        if (err < bestErr || (err == bestErr && (b & 1) == 0 && e4m3ToF32(std::uint8_t(b)) != 0)) {
            best = std::uint8_t(b);
            bestErr = err;
        }
    }
    return best;
}

}  // namespace

class TestForwardKvCache : public QObject {
    Q_OBJECT
private slots:
    void forkContinuesLikeAFreshRunAndLeavesTheParentAlone() {
        for (Numerics n : {Numerics::Release, Numerics::Plain}) {
            auto model = load(WeightScheme::FP8, n);
            const auto prefix = tokens(134, 1), a = tokens(9, 2), b = tokens(7, 3);
            KvCache parent = model->newSequence();
            run(*model, parent, prefix);
            KvCache child = parent.fork();
            // Full pages are shared, the partial last page is the child's own.
            const PagedStore& pc = parent.layer(1).entries;  // CSA: 32 entries per page
            const PagedStore& cc = child.layer(1).entries;
            QCOMPARE(pc.pageCount(), std::size_t(2));
            QCOMPARE(pc.pageUseCount(0), 2L);
            QCOMPARE(pc.pageUseCount(1), 1L);
            QCOMPARE(cc.pageUseCount(1), 1L);
            QCOMPARE(parent.layer(2).entries.pageUseCount(0), 2L);  // HCA: 1 entry per page
            const auto childLogits = run(*model, child, a);
            const auto parentLogits = run(*model, parent, b);
            QCOMPARE(childLogits, fresh(*model, prefix, a));
            QCOMPARE(parentLogits, fresh(*model, prefix, b));
            QCOMPARE(child.length(), std::int64_t(143));
            QCOMPARE(parent.length(), std::int64_t(141));
        }
    }

    void snapshotRestoreContinuesExactly() {
        auto model = load(WeightScheme::FP8, Numerics::Release);
        const auto prefix = tokens(137, 4), cont = tokens(6, 5);
        KvCache seq = model->newSequence();
        run(*model, seq, prefix);
        const auto bytes = seq.snapshot();
        KvCache restored = model->newSequence();
        auto r = restored.restore(bytes);
        QVERIFY2(r, r ? "" : r.error().message.c_str());
        QCOMPARE(restored.length(), std::int64_t(137));
        QVERIFY(std::equal(restored.tokens().begin(), restored.tokens().end(), prefix.begin()));
        QCOMPARE(run(*model, restored, cont), run(*model, seq, cont));
    }

    void damagedSnapshotsAreRejected() {
        auto model = load(WeightScheme::F32, Numerics::Release);
        KvCache seq = model->newSequence();
        run(*model, seq, tokens(21, 6));
        const auto good = seq.snapshot();
        KvCache target = model->newSequence();
        QVERIFY(target.restore(good));
        for (std::size_t at : {std::size_t(0), std::size_t(5), std::size_t(20), good.size() / 2, good.size() - 1}) {
            auto bad = good;
            bad[at] ^= 0x10;
            KvCache t = model->newSequence();
            QVERIFY2(!t.restore(bad), qPrintable(QString("flip at %1 accepted").arg(at)));
            QCOMPARE(t.length(), std::int64_t(0));
        }
        for (std::size_t len : {std::size_t(0), std::size_t(3), std::size_t(30), good.size() - 1}) {
            KvCache t = model->newSequence();
            QVERIFY(!t.restore(std::span(good).first(len)));
        }
        {  // another format version, with a valid checksum
            auto v2 = good;
            v2[4] = 2;
            const std::uint32_t crc = crc32(std::span(v2).first(v2.size() - 4));
            std::memcpy(v2.data() + v2.size() - 4, &crc, 4);
            auto r = target.restore(v2);
            QVERIFY(!r);
            QVERIFY(r.error().message.find("version") != std::string::npos);
        }
        {  // another model
            ModelConfig other = tinyConfig();
            other.windowSize = 32;
            KvCache t(other, Numerics::Release);
            auto r = t.restore(good);
            QVERIFY(!r);
            QVERIFY(r.error().message.find("different model") != std::string::npos);
            KvCache plain(tinyConfig(), Numerics::Plain);
            QVERIFY(!plain.restore(good));
        }
    }

    void resetMakesAShortSequenceIndependentOfALongOne() {
        auto model = load(WeightScheme::FP8, Numerics::Release);
        const auto shortIds = tokens(3, 8);
        KvCache seq = model->newSequence();
        run(*model, seq, tokens(45, 7));
        seq.reset();
        QCOMPARE(seq.length(), std::int64_t(0));
        const auto after = run(*model, seq, shortIds);
        KvCache clean = model->newSequence();
        QCOMPARE(after, run(*model, clean, shortIds));
    }

    void mainEntryPacksInto584Bytes() {
        const EntryFormat f{448, 64};
        QCOMPARE(f.bytes(), 584);
        QCOMPARE(f.footerBytes(), 8);
        std::vector<float> e(512);
        for (int i = 0; i < 512; ++i) e[std::size_t(i)] = std::sin(0.37f * float(i)) * float(1 + i % 64) * (i < 64 ? 1e-6f : 1.0f);
        std::vector<std::uint8_t> data(std::size_t(f.dataBytes())), footer(8, 0xee);
        const atelier::kernels::KernelTable& k = atelier::kernels::cpuKernels();
        packEntry(k, e.data(), f, data.data(), footer.data());
        QCOMPARE(footer[7], std::uint8_t(0));  // the pad byte
        for (int b = 0; b < 7; ++b) {
            float amax = 0;
            for (int i = 0; i < 64; ++i) amax = std::max(amax, std::fabs(e[std::size_t(64 * b + i)]));
            const double s = std::exp2(std::ceil(std::log2(std::max(double(amax), 1e-4) / 448.0)));
            QCOMPARE(int(footer[std::size_t(b)]), int(std::lround(std::log2(s))) + 127);
            for (int i = 0; i < 64; ++i)
                QCOMPARE(data[std::size_t(64 * b + i)], nearestE4m3(float(e[std::size_t(64 * b + i)] / s)));
        }
        for (int i = 0; i < 64; ++i) {
            std::uint16_t h;
            std::memcpy(&h, data.data() + 448 + 2 * i, 2);
            QCOMPARE(h, f32ToBf16(e[std::size_t(448 + i)]));
        }
        std::vector<float> back(512);
        unpackEntry(k, data.data(), footer.data(), f, back.data());
        std::vector<std::uint8_t> data2(data.size()), footer2(8);
        packEntry(k, back.data(), f, data2.data(), footer2.data());
        QCOMPARE(data2, data);  // the decoded entry is a fixed point
        QCOMPARE(footer2, footer);
    }

    void indexerKeyPacksInto68BytesLowNibbleFirst() {
        QCOMPARE(indexerKeyBytes(128), 68);
        std::vector<float> k(128, 0.0f);
        // Block 0: amax 6 → scale 1; element 0 = 1.0 (code 2), element 1 = −2 (code 12).
        k[0] = 1.0f;
        k[1] = -2.0f;
        k[2] = 6.0f;
        k[3] = 0.25f;  // a tie between 0 and 0.5: to the even code 0
        // Block 1: amax 3 → scale 2^ceil(log2(0.5)) = 0.5; 3 → 6 (code 7), 0.75 → 1.5 (code 3).
        k[32] = 3.0f;
        k[33] = 0.75f;
        std::vector<std::uint8_t> packed(68);
        packIndexerKey(k.data(), 128, packed.data());
        QCOMPARE(int(packed[0]), 0xC2);
        QCOMPARE(int(packed[1]), 0x07);
        QCOMPARE(int(packed[16]), 0x37);
        QCOMPARE(int(packed[64]), 127);      // scale 1
        QCOMPARE(int(packed[65]), 126);      // scale 0.5
        std::vector<float> back(128);
        unpackIndexerKey(atelier::kernels::cpuKernels(), packed.data(), 128, back.data());
        QCOMPARE(back[0], 1.0f);
        QCOMPARE(back[1], -2.0f);
        QCOMPARE(back[3], 0.0f);
        QCOMPARE(back[32], 3.0f);
        QCOMPARE(back[33], 0.75f);
    }

    // The indexer's query in integer form stands for exactly the values simulateFp4 rounds it
    // to (codes / 2 · scale, the spelled-out E2M1 search of toE2m1): every tie of the grid,
    // both signs, zeros, the clamp at 6, NaN and inf elements, subnormal and huge blocks.
    void indexerQueryCodesAreTheFp4Values() {
        // Blocks of 31 values and a 6 (scale 1): every grid point and tie, and their neighbours.
        std::vector<float> values;
        for (float m = 0.0f; m <= 6.0f; m += 0.125f) values.push_back(m);
        for (float m : {0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f}) {
            values.push_back(std::nextafter(m, 0.0f));
            values.push_back(std::nextafter(m, 7.0f));
        }
        for (std::size_t i = 0, n = values.size(); i < n; ++i) values.push_back(-values[i]);
        std::vector<float> q;
        for (std::size_t i = 0; i < values.size(); ++i) {
            q.push_back(values[i]);
            if (q.size() % 32 == 31) q.push_back(i % 2 ? 6.0f : -6.0f);
        }
        std::mt19937 rng(11);
        std::normal_distribution<float> normal;
        while (q.size() % 32) q.push_back(normal(rng));
        for (float scale : {1.0f, 1e-3f, 0x1p-140f, 1e30f, 3e38f})
            for (int i = 0; i < 32 * 8; ++i) q.push_back(normal(rng) * scale);
        const float specials[] = {std::numeric_limits<float>::quiet_NaN(), 1.0f, -3.0f, 0.5f,
                                  std::numeric_limits<float>::infinity(), -0.0f, 2.0f, 1e-40f};
        for (int i = 0; i < 32; ++i) q.push_back(specials[i % 8]);  // a NaN and an inf block
        for (int i = 0; i < 32; ++i) q.push_back(i % 3 ? 1.0f : std::numeric_limits<float>::quiet_NaN());
        const int dim = int(q.size());
        std::vector<std::int8_t> codes(q.size());
        std::vector<float> scales(q.size() / 32), want = q;
        quantizeIndexerQuery(q.data(), dim, codes.data(), scales.data());
        simulateFp4(want.data(), dim);
        for (int i = 0; i < dim; ++i) {
            const float got = float(codes[std::size_t(i)]) * 0.5f * scales[std::size_t(i / 32)];
            const float w = std::isnan(want[std::size_t(i)]) ? 0.0f : want[std::size_t(i)];
            QVERIFY2(got == w || (std::isnan(got) && std::isnan(w)),
                     qPrintable(QString("q[%1] = %2: %3 vs %4").arg(i).arg(double(q[std::size_t(i)]), 0, 'g', 9).arg(double(got)).arg(double(w))));
            QVERIFY(codes[std::size_t(i)] >= -12 && codes[std::size_t(i)] <= 12);
        }
    }

    void byteAccountingMatchesComputeSizes() {
        for (const auto& name : presetNames()) {
            const ModelConfig cfg = *presetConfig(name);
            const ModelSizes sizes = computeSizes(cfg);
            KvCache seq(cfg, Numerics::Release);
            QCOMPARE(seq.bytesPerToken(), sizes.kvBytesPerToken);
            QCOMPARE(std::int64_t(seq.stateBytes()), sizes.stateBytesPerSequence);
        }
        // V4-Flash geometry (spec §10.3): 21 CSA × 163 + 20 HCA × 4.5625 = 3514.25 B/token.
        ModelConfig flash = *presetConfig("bench");
        flash.nLayers = 43;
        flash.compressRatios = {0, 0};
        for (int i = 0; i < 20; ++i) flash.compressRatios.insert(flash.compressRatios.end(), {4, 128});
        flash.compressRatios.insert(flash.compressRatios.end(), {4, 0});
        KvCache seq(flash, Numerics::Release);
        QCOMPARE(seq.entryDataBytes() + seq.entryFooterBytes(), 584);
        QCOMPARE(seq.indexKeyBytes(), 68);
        QCOMPARE(seq.bytesPerToken(), 21 * 163.0 + 20 * 584.0 / 128);
    }

    void pagesGrowWithLengthAndEntriesLandInThem() {
        auto model = load(WeightScheme::F32, Numerics::Release);
        KvCache seq = model->newSequence();
        run(*model, seq, tokens(131, 9));
        QCOMPARE(seq.layer(1).entries.size(), std::int64_t(32));  // floor(131 / 4)
        QCOMPARE(seq.layer(1).indexKeys.size(), std::int64_t(32));
        QCOMPARE(seq.layer(2).entries.size(), std::int64_t(1));   // floor(131 / 128)
        QCOMPARE(seq.layer(0).entries.size(), std::int64_t(0));
    }
};

QTEST_APPLESS_MAIN(TestForwardKvCache)
#include "test_forward_kv_cache.moc"
