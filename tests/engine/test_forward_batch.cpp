// ctest-labels: unit
// A batched forward call (Model::forwardBatch) gives every sequence the logits it gets alone:
// the attention projections run once over the rows of all sequences while each sequence
// attends over its own cache (at its own positions, across CSA blocks of 4 and the window).
// Three sequences at different lengths, one of them prefilling inside the batch, then batched
// decode steps; Plain on F32 and Release on FP8 weights, 2 threads (heads split across the
// pool). Same kernels and operand order per row, so the tolerance is 1e-5 of the logit scale.
// A batch of decode steps at like lengths attends one sequence per thread (attention.cpp's
// attendBySequence): two sequences per thread, on 2 and 3 threads, past the first HCA entry and
// with more CSA entries than the top-k, give the logits each gets alone.

#include <QtTest>

#include "atelier/engine/model.h"
#include "forward_test_models.h"

using namespace atelier::engine;
using namespace forward_test;

namespace {

// The batched logits against the same sequence's alone: the same size, and within 1e-5 of the
// logit scale (said with the difference when not).
bool sameLogits(const std::vector<float>& got, const std::vector<float>& want) {
    if (got.size() != want.size()) {
        qWarning("%zu logits against %zu", got.size(), want.size());
        return false;
    }
    float scale = 0;
    for (float v : want) scale = std::max(scale, std::fabs(v));
    const float diff = maxAbsDiff(got.data(), want.data(), got.size());
    if (diff <= 1e-5f * scale) return true;
    qWarning("largest difference %g at logit scale %g", double(diff), double(scale));
    return false;
}

}  // namespace

class TestForwardBatch : public QObject {
    Q_OBJECT
private slots:
    void batchedSequencesGetTheirOwnLogits_data() {
        QTest::addColumn<int>("scheme");
        QTest::addColumn<int>("numerics");
        QTest::newRow("f32-plain") << int(WeightScheme::F32) << int(Numerics::Plain);
        QTest::newRow("fp8-release") << int(WeightScheme::FP8) << int(Numerics::Release);
    }
    void batchedSequencesGetTheirOwnLogits() {
        QFETCH(int, scheme);
        QFETCH(int, numerics);
        auto m = Model::load(weightsIn(tinyConfig(), 7, WeightScheme(scheme)),
                             ModelOptions{Numerics(numerics), 2});
        QVERIFY(m);
        Model& model = **m;
        const std::vector<std::vector<std::int32_t>> ids = {tokens(40, 1), tokens(40, 2), tokens(40, 3)};
        const std::size_t prefix[] = {21, 6, 0};  // lengths before the batch
        std::vector<KvCache> batched, alone;
        std::vector<float> logits;
        for (std::size_t s = 0; s < 3; ++s) {
            batched.push_back(model.newSequence());
            alone.push_back(model.newSequence());
            if (prefix[s] == 0) continue;
            const auto first = std::span(ids[s]).first(prefix[s]);
            QVERIFY(model.forward(batched[s], first, LogitsRequest::Last, logits));
            QVERIFY(model.forward(alone[s], first, LogitsRequest::Last, logits));
        }
        std::size_t pos[] = {prefix[0], prefix[1], prefix[2]};
        for (int step = 0; step < 9; ++step) {
            std::vector<std::vector<float>> got(3), want(3);
            std::vector<BatchItem> items;
            for (std::size_t s = 0; s < 3; ++s) {
                const std::size_t n = pos[s] == 0 ? 7 : 1;  // the fresh one prefills in the batch
                const auto part = std::span(ids[s]).subspan(pos[s], n);
                items.push_back(BatchItem{&batched[s], part, LogitsRequest::All, &got[s]});
                QVERIFY(model.forward(alone[s], part, LogitsRequest::All, want[s]));
                pos[s] += n;
            }
            QVERIFY(model.forwardBatch(items));
            for (std::size_t s = 0; s < 3; ++s) {
                QVERIFY2(sameLogits(got[s], want[s]), qPrintable(QString("step %1 sequence %2").arg(step).arg(s)));
                QCOMPARE(batched[s].length(), std::int64_t(pos[s]));
            }
        }
    }

    void decodeBatchOneSequencePerThread_data() {
        QTest::addColumn<int>("scheme");
        QTest::addColumn<int>("numerics");
        QTest::addColumn<int>("threads");
        QTest::newRow("f32-plain-2") << int(WeightScheme::F32) << int(Numerics::Plain) << 2;
        QTest::newRow("fp8-release-2") << int(WeightScheme::FP8) << int(Numerics::Release) << 2;
        QTest::newRow("fp8-release-3") << int(WeightScheme::FP8) << int(Numerics::Release) << 3;
    }
    void decodeBatchOneSequencePerThread() {
        QFETCH(int, scheme);
        QFETCH(int, numerics);
        QFETCH(int, threads);
        auto m = Model::load(weightsIn(tinyConfig(), 7, WeightScheme(scheme)),
                             ModelOptions{Numerics(numerics), threads});
        QVERIFY(m);
        Model& model = **m;
        const std::size_t n = std::size_t(2 * threads);
        const std::size_t prefix[] = {131, 126, 140, 133, 129, 137};  // tiny: HCA 128, CSA 4, top-4
        std::vector<std::vector<std::int32_t>> ids;
        std::vector<KvCache> batched, alone;
        std::vector<float> logits;
        for (std::size_t s = 0; s < n; ++s) {
            ids.push_back(tokens(int(prefix[s]) + 8, int(s) + 11));
            batched.push_back(model.newSequence());
            const auto first = std::span(ids[s]).first(prefix[s]);
            QVERIFY(model.forward(batched[s], first, LogitsRequest::Last, logits));
            alone.push_back(batched[s].fork());
        }
        for (std::size_t step = 0; step < 8; ++step) {
            std::vector<std::vector<float>> got(n), want(n);
            std::vector<BatchItem> items;
            for (std::size_t s = 0; s < n; ++s) {
                const auto one = std::span(ids[s]).subspan(prefix[s] + step, 1);
                items.push_back(BatchItem{&batched[s], one, LogitsRequest::Last, &got[s]});
                QVERIFY(model.forward(alone[s], one, LogitsRequest::Last, want[s]));
            }
            QVERIFY(model.forwardBatch(items));
            for (std::size_t s = 0; s < n; ++s)
                QVERIFY2(sameLogits(got[s], want[s]), qPrintable(QString("step %1 sequence %2").arg(step).arg(s)));
        }
    }
};

QTEST_APPLESS_MAIN(TestForwardBatch)
#include "test_forward_batch.moc"
