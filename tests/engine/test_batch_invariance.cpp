// ctest-labels: unit
// Batch invariance of the fast forward (issue #4: "output does not depend on which other
// sequences share the batch"): a sequence's logits, from its prefill and from three greedy
// decode steps, must be bit for bit the same when it runs alone (Model::forward) and when it
// runs inside Model::forwardBatch with four other sequences of other lengths (so that its rows
// land elsewhere in every register tile, row chunk and MoE expert group). Checked on the tiny
// preset in F32, BF16 and the release FP8 scheme (Release numerics, 2 threads) and on GGUF
// files with Q8_0, Q4_K and Q5_K weights (Q6_K head, Q5_0 fallbacks).

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "atelier/engine/model.h"
#include "atelier/engine/model_files.h"
#include "forward_test_models.h"
#include "gguf_test_model.h"

using namespace atelier::engine;
using namespace forward_test;

namespace {

constexpr int kSteps = 3;
constexpr int kTarget = 2;  // the checked sequence's place in the batch

std::int32_t argmax(const std::vector<float>& v) {
    return std::int32_t(std::max_element(v.begin(), v.end()) - v.begin());
}

// The logits of the target's prefill and of each greedy step after it, alone.
std::vector<std::vector<float>> alone(Model& m, const std::vector<std::int32_t>& prompt) {
    KvCache seq = m.newSequence();
    std::vector<std::vector<float>> out(kSteps + 1);
    if (!m.forward(seq, prompt, LogitsRequest::Last, out[0])) return {};
    for (int s = 1; s <= kSteps; ++s) {
        const std::int32_t next = argmax(out[std::size_t(s - 1)]);
        if (!m.forward(seq, std::span(&next, 1), LogitsRequest::Last, out[std::size_t(s)])) return {};
    }
    return out;
}

// The same, with four batch mates of other lengths that also decode greedily.
std::vector<std::vector<float>> batched(Model& m, const std::vector<std::int32_t>& prompt,
                                        std::int64_t vocab) {
    const std::size_t lengths[5] = {3, 9, 0, 1, 12};
    std::vector<KvCache> seqs;
    std::vector<std::vector<std::int32_t>> toks(5);
    std::vector<std::vector<float>> logits(5);
    for (std::size_t i = 0; i < 5; ++i) {
        seqs.push_back(m.newSequence());
        toks[i] = i == kTarget ? prompt : tokens(lengths[i], std::uint32_t(40 + i), vocab);
    }
    std::vector<std::vector<float>> out;
    for (int s = 0; s <= kSteps; ++s) {
        std::vector<BatchItem> items(5);
        for (std::size_t i = 0; i < 5; ++i) items[i] = {&seqs[i], toks[i], LogitsRequest::Last, &logits[i]};
        if (!m.forwardBatch(items)) return {};
        out.push_back(logits[kTarget]);
        for (std::size_t i = 0; i < 5; ++i) toks[i] = {argmax(logits[i])};
    }
    return out;
}

void checkModel(Model& m, const char* what) {
    const std::int64_t vocab = m.config().vocabSize;
    const auto prompt = tokens(7, 11, vocab);
    const auto a = alone(m, prompt);
    const auto b = batched(m, prompt, vocab);
    QVERIFY2(a.size() == kSteps + 1 && b.size() == kSteps + 1, what);
    for (int s = 0; s <= kSteps; ++s) {
        const auto& x = a[std::size_t(s)];
        const auto& y = b[std::size_t(s)];
        QCOMPARE(x.size(), std::size_t(vocab));
        QCOMPARE(y.size(), x.size());
        if (std::memcmp(x.data(), y.data(), x.size() * 4) != 0)
            QFAIL(qPrintable(QString("%1: step %2 logits differ inside the batch (max |diff| %3)")
                                 .arg(what).arg(s).arg(maxAbsDiff(x.data(), y.data(), x.size()))));
    }
}

}  // namespace

class TestBatchInvariance : public QObject {
    Q_OBJECT
private slots:
    void tinyPresetLogitsDoNotDependOnBatchMates_data() {
        QTest::addColumn<int>("scheme");
        QTest::newRow("f32") << int(WeightScheme::F32);
        QTest::newRow("bf16") << int(WeightScheme::BF16);
        QTest::newRow("fp8") << int(WeightScheme::FP8);
    }
    void tinyPresetLogitsDoNotDependOnBatchMates() {
        QFETCH(int, scheme);
        auto m = Model::load(weightsIn(tinyConfig(), 7, WeightScheme(scheme), true),
                             ModelOptions{Numerics::Release, 2});
        QVERIFY2(m, m ? "" : m.error().message.c_str());
        checkModel(**m, QTest::currentDataTag());
    }

    void ggufLogitsDoNotDependOnBatchMates_data() {
        QTest::addColumn<int>("quant");
        QTest::newRow("q8_0") << int(GgufQuant::Q8_0);
        QTest::newRow("q4_k") << int(GgufQuant::Q4_K);
        QTest::newRow("q5_k") << int(GgufQuant::Q5_K);
    }
    void ggufLogitsDoNotDependOnBatchMates() {
        QFETCH(int, quant);
        ModelConfig c = testing::microGgufConfig();
        c.dim = 256;  // d-input matrices take the K-quant
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "m.gguf";
        CreateModelOptions o;
        o.config = c;
        o.format = FileFormat::Gguf;
        o.ggufQuant = GgufQuant(quant);
        o.seed = 5;
        QVERIFY(createModel(o, path));
        auto src = openModel(path);
        QVERIFY(src);
        auto m = Model::load(std::move(*src), ModelOptions{Numerics::Plain, 2});
        QVERIFY2(m, m ? "" : m.error().message.c_str());
        checkModel(**m, QTest::currentDataTag());
    }
};

QTEST_APPLESS_MAIN(TestBatchInvariance)
#include "test_batch_invariance.moc"
