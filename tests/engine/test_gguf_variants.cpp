// ctest-labels: unit
// Published variants of the deepseek4 GGUF: the routed-expert count comes from the file's
// metadata (a top-4 file routes 4 experts per token and its fast forward tracks the reference
// forward); a tensor no part of the model reads (an extra speculative head) is skipped and
// reported, not fatal and not used; the model's footprint counts bytes per type.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include <QTemporaryDir>
#include <QtTest>

#include "../../engine/src/model_io/gguf_builder.h"
#include "../../engine/src/model_io/gguf_reader.h"
#include "atelier/engine/chat_format.h"
#include "atelier/engine/model.h"
#include "atelier/engine/model_files.h"
#include "atelier/engine/model_footprint.h"
#include "atelier/engine/reference_forward.h"
#include "gguf_test_model.h"

using namespace atelier::engine;
namespace fs = std::filesystem;

namespace {

fs::path writeModel(const QTemporaryDir& dir, const ModelConfig& c, GgufQuant quant, const char* name) {
    CreateModelOptions o;
    o.config = c;
    o.format = FileFormat::Gguf;
    o.ggufQuant = quant;
    o.seed = 5;
    const fs::path path = fs::path(dir.path().toStdString()) / name;
    if (auto r = createModel(o, path); !r) qFatal("%s", r.error().message.c_str());
    return path;
}

// The largest relative RMS difference of the fast forward's logits from the reference's.
double worstRelativeDifference(const fs::path& path, const std::vector<std::int32_t>& ids) {
    auto refSrc = openModel(path);
    auto ref = referenceForward(**refSrc, ids, ReferenceOptions{Numerics::Plain});
    if (!ref) qFatal("%s", ref.error().message.c_str());
    auto fastSrc = openModel(path);
    auto model = Model::load(std::move(*fastSrc), ModelOptions{Numerics::Plain, 2});
    KvCache seq = (*model)->newSequence();
    std::vector<float> logits;
    if (!(*model)->forward(seq, ids, LogitsRequest::All, logits)) qFatal("forward");
    const std::size_t V = (*ref)[0].size();
    double worst = 0;
    for (std::size_t p = 0; p < ids.size(); ++p) {
        double d2 = 0, r2 = 0;
        for (std::size_t v = 0; v < V; ++v) {
            const double r = (*ref)[p][v], d = logits[p * V + v] - r;
            d2 += d * d;
            r2 += r * r;
        }
        worst = std::max(worst, std::sqrt(d2 / r2));
    }
    return worst;
}

}  // namespace

class TestGgufVariants : public QObject {
    Q_OBJECT
private slots:
    void theRoutedExpertCountComesFromTheFile() {
        ModelConfig c = testing::microGgufConfig();
        c.dim = 256;
        c.nRoutedExperts = 8;
        c.nActivatedExperts = 4;  // the top-4 variant
        QTemporaryDir dir;
        const fs::path path = writeModel(dir, c, GgufQuant::Q8_0, "top4.gguf");
        auto src = openModel(path);
        QVERIFY(src);
        QCOMPARE((*src)->config().nActivatedExperts, 4);
        QCOMPARE((*src)->config().nRoutedExperts, 8);
        // Activation rounding only: a misread top-k would route other experts (~100% off).
        const double worst = worstRelativeDifference(path, {4, 90, 311, 7, 26});
        QVERIFY2(worst < 0.05, qPrintable(QString::number(worst)));
    }

    void writtenFilesCarryTheChatTemplate() {
        QTemporaryDir dir;
        const fs::path path = writeModel(dir, testing::microGgufConfig(), GgufQuant::None, "t.gguf");
        auto map = gguf::MappedGguf::open(path);
        QVERIFY(map);
        const gguf::Value* v = (*map)->file().find("tokenizer.chat_template");
        QVERIFY(v && v->type == gguf::ValueType::String);
        QCOMPARE(std::get<std::string>(v->scalar), std::string(deepseekV4ChatTemplate()));
        QVERIFY(std::get<std::string>(v->scalar).find("messages") != std::string::npos);
    }

    void tensorsNoPartReadsAreSkippedAndReported() {
        ModelConfig c = testing::microGgufConfig();
        c.dim = 256;
        QTemporaryDir dir;
        const fs::path plain = writeModel(dir, c, GgufQuant::Q8_0, "plain.gguf");
        // The same file with an extra head's tensor, as some published checkpoints carry.
        auto map = gguf::MappedGguf::open(plain);
        QVERIFY(map);
        const gguf::GgufFile& f = (*map)->file();
        gguf::GgufBuilder b;
        for (const auto& [key, value] : f.kv) b.addValue(key, value);
        for (const auto& t : f.tensors)
            b.addTensor(t.name, t.type, t.ne, [&f, &t](std::byte* out, std::size_t n) {
                std::memcpy(out, f.tensorData(t), std::min<std::size_t>(n, t.nbytes));
            });
        b.addTensor("spec_head.proj.weight", gguf::GgmlType::F32, {256, 8}, nullptr);
        const fs::path extra = fs::path(dir.path().toStdString()) / "extra.gguf";
        QVERIFY(b.writeFile(extra));
        auto src = openModel(extra);
        QVERIFY2(src, src ? "" : src.error().message.c_str());
        QCOMPARE((*src)->skipped(), std::vector<std::string>{"spec_head.proj.weight"});
        QVERIFY(validateWeights(**src));
        const ModelFootprint fp = modelFootprint(**src);
        QCOMPARE(fp.skippedTensors.size(), std::size_t(1));
        QVERIFY(fp.types.count("Q8_0") && fp.types.at("Q8_0").bytes > 0);
        QVERIFY(fp.bitsPerWeight > 8.0 && fp.bitsPerWeight < 32.0);  // Q8_0 matrices, F32 norms
        QVERIFY(!fp.weightsMissing);
        // The extra tensor changes nothing the model computes.
        auto plainSrc = openModel(plain);
        QVERIFY(plainSrc);
        auto a = Model::load(std::move(*src), ModelOptions{Numerics::Plain, 1});
        auto p = Model::load(std::move(*plainSrc), ModelOptions{Numerics::Plain, 1});
        QVERIFY(a && p);
        KvCache sa = (*a)->newSequence(), sp = (*p)->newSequence();
        std::vector<float> la, lp;
        const std::vector<std::int32_t> ids = {1, 2, 3};
        QVERIFY((*a)->forward(sa, ids, LogitsRequest::All, la));
        QVERIFY((*p)->forward(sp, ids, LogitsRequest::All, lp));
        QVERIFY(la == lp);
    }
};

QTEST_APPLESS_MAIN(TestGgufVariants)
#include "test_gguf_variants.moc"
