// ctest-labels: unit
// Issue 17: `model create` says how many bytes it will write before writing them (and refuses
// when the disk is short): estimateModelBytes must equal the bytes createModel then writes, in
// both formats and in block-quantized GGUF types, and must plan V4-Flash-width files (the
// flash-slice preset) in the quantized types used to test streaming.
#include <QtTest>

#include <filesystem>

#include "atelier/engine/model_files.h"

using namespace atelier::engine;
namespace fs = std::filesystem;

namespace {

std::uint64_t bytesUnder(const fs::path& p) {
    if (fs::is_regular_file(p)) return fs::file_size(p);
    std::uint64_t total = 0;
    for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file()) total += e.file_size();
    return total;
}

}  // namespace

class TestModelEstimate : public QObject {
    Q_OBJECT
private slots:
    void estimateEqualsWrittenBytes_data() {
        QTest::addColumn<int>("format");
        QTest::addColumn<int>("scheme");
        QTest::addColumn<int>("quant");
        QTest::newRow("hf-bf16") << int(FileFormat::HuggingFace) << int(WeightScheme::BF16) << int(GgufQuant::None);
        QTest::newRow("hf-fp8") << int(FileFormat::HuggingFace) << int(WeightScheme::FP8) << int(GgufQuant::None);
        QTest::newRow("gguf-bf16") << int(FileFormat::Gguf) << int(WeightScheme::BF16) << int(GgufQuant::None);
        QTest::newRow("gguf-q4_k") << int(FileFormat::Gguf) << int(WeightScheme::BF16) << int(GgufQuant::Q4_K);
        QTest::newRow("gguf-q2_k") << int(FileFormat::Gguf) << int(WeightScheme::BF16) << int(GgufQuant::Q2_K);
    }

    void estimateEqualsWrittenBytes() {
        QFETCH(int, format);
        QFETCH(int, scheme);
        QFETCH(int, quant);
        QTemporaryDir dir;
        CreateModelOptions o;
        o.config = *presetConfig("tiny");
        QVERIFY(setLayerCount(o.config, 5));
        o.format = FileFormat(format);
        o.scheme = WeightScheme(scheme);
        o.ggufQuant = GgufQuant(quant);
        const fs::path out = fs::path(dir.path().toStdString()) / (o.format == FileFormat::Gguf ? "m.gguf" : "m");
        auto estimate = estimateModelBytes(o, out);
        QVERIFY2(estimate.has_value(), estimate ? "" : estimate.error().message.c_str());
        QVERIFY(!fs::exists(out));  // estimating writes nothing
        auto written = createModel(o, out);
        QVERIFY2(written.has_value(), written ? "" : written.error().message.c_str());
        QCOMPARE(*estimate, bytesUnder(out));
    }

    // One V4-Flash block holds 256 experts × 3 × 2048 × 4096 weights: at Q4_K's 4.5 bits and
    // Q2_K's 2.625 bits per weight that is the bulk of a flash-slice file, plus the embedding
    // and head (129280 × 4096 each) and the attention.
    void flashSlicePlansInQuantizedTypes() {
        for (const auto& [quant, bits] : {std::pair{GgufQuant::Q4_K, 4.5}, std::pair{GgufQuant::Q2_K, 2.625}}) {
            CreateModelOptions o;
            o.config = *presetConfig("flash-slice");
            o.format = FileFormat::Gguf;
            o.ggufQuant = quant;
            QVERIFY(setLayerCount(o.config, 2));
            auto two = estimateModelBytes(o, "flash.gguf");
            QVERIFY2(two.has_value(), two ? "" : two.error().message.c_str());
            QVERIFY(setLayerCount(o.config, 3));
            auto three = estimateModelBytes(o, "flash.gguf");
            QVERIFY(three.has_value());
            // The third block (layer 2, CSA) adds its routed experts' bytes and its attention,
            // compressor, indexer and shared expert (well under 15 % more).
            const double experts = 256.0 * 3 * 2048 * 4096 * bits / 8;
            const double added = double(*three - *two);
            QVERIFY2(added > experts && added < experts * 1.15,
                     qPrintable(QString("added %1, experts %2").arg(added).arg(experts)));
        }
    }
};

QTEST_GUILESS_MAIN(TestModelEstimate)
#include "test_model_estimate.moc"
