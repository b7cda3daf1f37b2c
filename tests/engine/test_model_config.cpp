// The release configs and presets give the published sizes (model spec §1.2, §10.3), the tensor
// schema matches the spec's §9 shapes, and the scalar number formats round-trip.

#include <cmath>

#include <QtTest>

#include <limits>

#include "atelier/engine/dtype.h"
#include <filesystem>

#include "atelier/engine/model_config.h"
#include "atelier/engine/model_files.h"
#include "atelier/engine/tensor_schema.h"
#include "atelier/engine/weight_source.h"

using namespace atelier::engine;
namespace fs = std::filesystem;

class TestModelConfig : public QObject {
    Q_OBJECT
private slots:
    void presetsAreValid() {
        for (const auto& name : presetNames()) {
            auto c = presetConfig(name);
            QVERIFY(c.has_value());
            auto v = c->validate();
            QVERIFY2(v.has_value(), v.has_value() ? "" : v.error().message.c_str());
        }
        QVERIFY(!presetConfig("huge").has_value());
    }

    // Issue 21: validate() is what both the HF and the GGUF paths call, so a NaN or infinite
    // real from a GGUF header is refused as well as one from config.json.
    void nonFiniteRealsAreRefused() {
        auto c = *presetConfig("tiny");
        c.normEps = std::numeric_limits<float>::quiet_NaN();
        QVERIFY(!c.validate());
        c = *presetConfig("tiny");
        c.compressRopeTheta = std::numeric_limits<double>::infinity();
        auto v = c.validate();
        QVERIFY(!v);
        QVERIFY(v.error().message.find("compress_rope_theta") != std::string::npos);
        c = *presetConfig("tiny");
        c.yarnOriginalSeqLen = std::int64_t(1) << 40;
        QVERIFY(!c.validate());
    }

    void presetSizesMatchTheirDescription() {
        // CLI.md: small is about 100M parameters, bench about 1B.
        const auto small = computeSizes(*presetConfig("small"));
        QVERIFY2(small.paramsTotal > 70'000'000 && small.paramsTotal < 140'000'000,
                 qPrintable(QString::number(small.paramsTotal)));
        const auto bench = computeSizes(*presetConfig("bench"));
        QVERIFY2(bench.paramsTotal > 800'000'000 && bench.paramsTotal < 1'300'000'000,
                 qPrintable(QString::number(bench.paramsTotal)));
    }

    // Issue 17: flash-slice is V4-Flash at its real widths. With the release's 43 blocks it is
    // the shipped config.json field for field (spec §1.1), and with fewer it keeps the first
    // blocks' pattern (SWA, SWA, CSA, HCA, ...) and Flash's 3 hash-routed layers.
    void flashSliceHasTheReleaseWidths() {
        auto c = *presetConfig("flash-slice");
        QVERIFY(c.validate());
        // Spec §1.1's table, typed in from the design document.
        QCOMPARE(c.dim, std::int64_t(4096));
        QCOMPARE(c.vocabSize, std::int64_t(129280));
        QCOMPARE(c.nHeads, 64);
        QCOMPARE(c.headDim, 512);
        QCOMPARE(c.ropeHeadDim, 64);
        QCOMPARE(c.qLoraRank, 1024);
        QCOMPARE(c.oGroups, 8);
        QCOMPARE(c.oLoraRank, 1024);
        QCOMPARE(c.windowSize, 128);
        QCOMPARE(c.indexNHeads, 64);
        QCOMPARE(c.indexHeadDim, 128);
        QCOMPARE(c.indexTopk, 512);
        QCOMPARE(c.nRoutedExperts, 256);
        QCOMPARE(c.nActivatedExperts, 6);
        QCOMPARE(c.nSharedExperts, 1);
        QCOMPARE(c.moeInterDim, 2048);
        QCOMPARE(c.nMtpLayers, 1);
        QCOMPARE(c.nLayers, 4);
        QCOMPARE(c.compressRatios, (std::vector<int>{0, 0, 4, 128, 0}));
        QCOMPARE(c.nHashLayers, 3);

        QVERIFY(setLayerCount(c, 43));
        std::vector<int> release = {0, 0};  // [0,0] + [4,128]×20 + [4] + [0] (spec §1.1)
        for (int i = 0; i < 20; ++i) release.insert(release.end(), {4, 128});
        release.insert(release.end(), {4, 0});
        QCOMPARE(c.compressRatios, release);
        QVERIFY(c.validate());
        const fs::path shipped = fs::path(ATELIER_SHARED_DIR) / "conformance/dsv4-release/flash/config.json";
        if (fs::exists(shipped)) {
            auto flash = readHfConfig(shipped);
            QVERIFY2(flash.has_value(), flash ? "" : flash.error().message.c_str());
            flash->name = c.name;
            QVERIFY(*flash == c);
        }
    }

    void setLayerCountKeepsThePatternAndMtp() {
        auto c = *presetConfig("flash-slice");
        QVERIFY(setLayerCount(c, 1));
        QCOMPARE(c.compressRatios, (std::vector<int>{0, 0}));
        QCOMPARE(c.nHashLayers, 1);
        QVERIFY(c.validate());
        auto tiny = *presetConfig("tiny");  // {0, 4, 128, 4 | 0}
        QVERIFY(setLayerCount(tiny, 6));
        QCOMPARE(tiny.compressRatios, (std::vector<int>{0, 4, 128, 4, 128, 4, 0}));
        QVERIFY(tiny.validate());
        QVERIFY(!setLayerCount(tiny, 0));
        QVERIFY(!setLayerCount(tiny, 513));
    }

    void tinyHasTheSpecShapes() {
        const auto c = *presetConfig("tiny");
        const auto specs = expectedTensors(c);
        auto find = [&](const std::string& n) -> const TensorSpec* {
            for (const auto& s : specs)
                if (s.name == n) return &s;
            return nullptr;
        };
        QVERIFY(find("layers.0.ffn.gate.tid2eid"));
        QVERIFY(!find("layers.0.ffn.gate.bias"));
        QVERIFY(find("layers.1.ffn.gate.bias"));
        QVERIFY(find("mtp.0.ffn.gate.bias"));
        QVERIFY(!find("layers.0.attn.compressor.wkv.weight"));
        QCOMPARE(find("layers.1.attn.compressor.wkv.weight")->shape,
                 (std::vector<std::int64_t>{2 * 192, 256}));
        QCOMPARE(find("layers.2.attn.compressor.ape")->shape, (std::vector<std::int64_t>{128, 192}));
        QVERIFY(find("layers.1.attn.indexer.wq_b.weight"));
        QVERIFY(!find("layers.2.attn.indexer.wq_b.weight"));
        QCOMPARE(find("layers.0.attn.wo_a.weight")->shape,
                 (std::vector<std::int64_t>{2 * 64, 2 * 192}));
        QCOMPARE(find("layers.0.hc_attn_fn")->shape, (std::vector<std::int64_t>{24, 1024}));
    }

    void randomWeightsDependOnlyOnSeedAndName() {
        const auto c = *presetConfig("tiny");
        auto a = randomWeights(c, 7);
        auto b = randomWeights(c, 7);
        auto other = randomWeights(c, 8);
        const auto* ta = a->find("layers.1.attn.wq_a.weight");
        const auto* tb = b->find("layers.1.attn.wq_a.weight");
        const auto* to = other->find("layers.1.attn.wq_a.weight");
        QVERIFY(ta && tb && to);
        QCOMPARE(std::memcmp(ta->data, tb->data, ta->nbytes), 0);
        QVERIFY(std::memcmp(ta->data, to->data, ta->nbytes) != 0);
        // tid2eid rows hold distinct experts in range.
        const auto* tid = a->find("layers.0.ffn.gate.tid2eid");
        const auto* ids = reinterpret_cast<const std::int64_t*>(tid->data);
        for (std::int64_t row = 0; row < c.vocabSize; ++row) {
            QVERIFY(ids[row * 2] >= 0 && ids[row * 2] < c.nRoutedExperts);
            QVERIFY(ids[row * 2] != ids[row * 2 + 1]);
        }
    }

    void bf16RoundsToNearestEven() {
        QCOMPARE(bf16ToF32(f32ToBf16(1.0f)), 1.0f);
        // 1 + 2^-8 is exactly halfway between 1 and 1 + 2^-7: ties to even (1).
        QCOMPARE(bf16ToF32(f32ToBf16(1.0f + std::ldexp(1.0f, -8))), 1.0f);
        QCOMPARE(bf16ToF32(f32ToBf16(1.0f + 3 * std::ldexp(1.0f, -8))), 1.0f + std::ldexp(1.0f, -6));
    }

    void f16RoundTripsEveryValue() {
        for (std::uint32_t h = 0; h < 0x10000; ++h) {
            const auto v = f16ToF32(std::uint16_t(h));
            if (std::isnan(v)) continue;
            QCOMPARE(f32ToF16(v), std::uint16_t(h));
        }
    }

    void e4m3RoundTripsEveryCode() {
        for (int b = 0; b < 256; ++b) {
            const float v = e4m3ToF32(std::uint8_t(b));
            if (std::isnan(v)) continue;
            if (b == 0x80) continue;  // -0 encodes as 0x80 too, checked below
            QCOMPARE(int(f32ToE4m3(v)), b);
        }
        QCOMPARE(e4m3ToF32(0x7e), 448.0f);
        QCOMPARE(int(f32ToE4m3(1000.0f)), 0x7e);       // saturates
        QCOMPARE(e4m3ToF32(0x01), std::ldexp(1.0f, -9));  // smallest subnormal
    }

    void e2m1CodesAndRounding() {
        const float table[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
        for (int code = 0; code < 16; ++code) {
            const float v = (code & 8 ? -1.0f : 1.0f) * table[code & 7];
            QCOMPARE(e2m1ToF32(std::uint8_t(code)), v);
        }
        QCOMPARE(int(f32ToE2m1(2.5f)), 4);   // tie 2|3 -> 2 (even code)
        QCOMPARE(int(f32ToE2m1(3.5f)), 6);   // tie 3|4 -> 4 (even code)
        QCOMPARE(int(f32ToE2m1(-7.0f)), 15); // saturates
        QCOMPARE(e8m0ToF32(127), 1.0f);
        QCOMPARE(int(f32PowerOfTwoToE8m0(0.25f)), 125);
    }
};

QTEST_APPLESS_MAIN(TestModelConfig)
#include "test_model_config.moc"
