// ctest-labels: unit
// ctest-timeout: 900
// The incremental forward pass gives the logits of a whole-sequence pass: prefill(n) followed
// by single-token decode equals prefill(n+k) at every position, and every chunk size gives the
// same logits. Within one engine a token's arithmetic does not depend on how the sequence was
// chunked (same kernels, same operand order, same simulated casts), so the comparison is exact
// up to a tolerance of 1e-5 relative to the logit scale.

#include <QtTest>

#include "atelier/engine/model.h"
#include "forward_test_models.h"

using namespace atelier::engine;
using namespace forward_test;

namespace {

std::unique_ptr<Model> load(WeightScheme scheme, Numerics numerics) {
    auto m = Model::load(weightsIn(tinyConfig(), 7, scheme), ModelOptions{numerics, 1});
    if (!m) qFatal("%s", m.error().message.c_str());
    return std::move(*m);
}

// All-position logits [N, V] of one whole-sequence chunk.
std::vector<float> wholeLogits(Model& model, const std::vector<std::int32_t>& ids) {
    KvCache seq = model.newSequence();
    std::vector<float> logits;
    auto r = model.forward(seq, ids, LogitsRequest::All, logits);
    if (!r) qFatal("%s", r.error().message.c_str());
    return logits;
}

float scaleOf(const std::vector<float>& v) {
    float m = 0;
    for (float x : v) m = std::max(m, std::fabs(x));
    return m;
}

}  // namespace

class TestForwardIncremental : public QObject {
    Q_OBJECT
private slots:
    void prefillThenDecodeEqualsWholePrefill_data() {
        QTest::addColumn<int>("scheme");
        QTest::addColumn<int>("numerics");
        QTest::newRow("f32-plain") << int(WeightScheme::F32) << int(Numerics::Plain);
        QTest::newRow("fp8-release") << int(WeightScheme::FP8) << int(Numerics::Release);
    }
    void prefillThenDecodeEqualsWholePrefill() {
        QFETCH(int, scheme);
        QFETCH(int, numerics);
        auto model = load(WeightScheme(scheme), Numerics(numerics));
        const auto V = std::size_t(model->config().vocabSize);
        const auto ids = tokens(134, 1);
        const auto whole = wholeLogits(*model, ids);
        const float tol = 1e-5f * scaleOf(whole);
        // k crosses CSA blocks (4) and the window wrap (16, 32); the last case crosses the first
        // HCA block (128) by decoding, from n = 17 under Release (the costlier path), from
        // n = 120 under Plain.
        std::vector<std::pair<int, int>> cases = {{1, 20}, {3, 17}, {15, 6}, {16, 17}, {17, 16}};
        cases.push_back(Numerics(numerics) == Numerics::Release ? std::pair{17, 113} : std::pair{120, 14});
        for (auto [n, k] : cases) {
            KvCache seq = model->newSequence();
            std::vector<float> logits;
            QVERIFY(model->forward(seq, std::span(ids).first(std::size_t(n)), LogitsRequest::Last, logits));
            QVERIFY(maxAbsDiff(logits.data(), whole.data() + std::size_t(n - 1) * V, V) <= tol);
            for (int p = n; p < n + k; ++p) {
                QVERIFY(model->forward(seq, std::span(ids).subspan(std::size_t(p), 1), LogitsRequest::Last, logits));
                const float diff = maxAbsDiff(logits.data(), whole.data() + std::size_t(p) * V, V);
                if (diff > tol) QFAIL(qPrintable(QString("n=%1 pos=%2 diff=%3 tol=%4").arg(n).arg(p).arg(diff).arg(tol)));
            }
            QCOMPARE(seq.length(), std::int64_t(n + k));
        }
    }

    void everyChunkSizeGivesTheSameLogits() {
        // Release on FP8 weights (Plain is covered by the decode test above). Chunks of 1 are
        // decode steps: they run over the first 40 tokens only, to keep the test fast.
        auto model = load(WeightScheme::FP8, Numerics::Release);
        const auto ids = tokens(133, 2);
        const auto whole = wholeLogits(*model, ids);
        const float tol = 1e-5f * scaleOf(whole);
        for (std::size_t chunk : {1, 3, 16, 64}) {
            const std::size_t n = chunk == 1 ? 40 : ids.size();
            KvCache seq = model->newSequence();
            std::vector<float> all, logits;
            for (std::size_t s = 0; s < n; s += chunk) {
                const auto part = std::span(ids).subspan(s, std::min(chunk, n - s));
                QVERIFY(model->forward(seq, part, LogitsRequest::All, logits));
                all.insert(all.end(), logits.begin(), logits.end());
            }
            QCOMPARE(all.size(), n * std::size_t(model->config().vocabSize));
            const float diff = maxAbsDiff(all.data(), whole.data(), all.size());
            if (diff > tol) QFAIL(qPrintable(QString("chunk=%1 diff=%2").arg(chunk).arg(diff)));
        }
    }

    void threadCountDoesNotChangeTheLogits() {
        // Matrix-product rows are split across threads, and so are the indexer's keys once a
        // CSA layer holds 128 of them (past 512 tokens on this config); each row and each key
        // score is still one thread's arithmetic, so the bits are the same. Covers a chunk
        // (the keys decoded, then scored per query) and decode steps (decoded and scored in
        // one pass per part; each part selects its own top k, one selection over the parts'
        // candidates finishes). Release scores in integer form, Plain in floats.
        const auto ids = tokens(530, 4);
        for (Numerics numerics : {Numerics::Release, Numerics::Plain}) {
            std::vector<float> one, three;
            for (int threads : {1, 3}) {
                auto m = Model::load(weightsIn(tinyConfig(), 7, WeightScheme::FP8), ModelOptions{numerics, threads});
                QVERIFY(m);
                KvCache seq = (*m)->newSequence();
                std::vector<float> all, logits;
                QVERIFY((*m)->forward(seq, std::span(ids).first(30), LogitsRequest::All, logits));
                all = logits;
                QVERIFY((*m)->forward(seq, std::span(ids).subspan(30, 490), LogitsRequest::All, logits));
                all.insert(all.end(), logits.begin(), logits.end());
                for (std::size_t p = 520; p < ids.size(); ++p) {
                    QVERIFY((*m)->forward(seq, std::span(ids).subspan(p, 1), LogitsRequest::Last, logits));
                    all.insert(all.end(), logits.begin(), logits.end());
                }
                (threads == 1 ? one : three) = all;
            }
            QCOMPARE(three.size(), one.size());
            QVERIFY2(three == one, numerics == Numerics::Release ? "Release" : "Plain");
        }
    }

    void badTokensAreRejectedAndLeaveTheSequenceUnchanged() {
        auto model = load(WeightScheme::F32, Numerics::Plain);
        KvCache seq = model->newSequence();
        std::vector<float> logits;
        const std::vector<std::int32_t> bad = {5, 1024};
        auto r = model->forward(seq, bad, LogitsRequest::Last, logits);
        QVERIFY(!r);
        QVERIFY(r.error().message.find("1024") != std::string::npos);
        QCOMPARE(seq.length(), std::int64_t(0));
        QVERIFY(!model->forward(seq, std::span<const std::int32_t>{}, LogitsRequest::Last, logits));
        KvCache other(tinyConfig(), Numerics::Release);
        QVERIFY(!model->forward(other, std::vector<std::int32_t>{5}, LogitsRequest::Last, logits));
    }
};

QTEST_APPLESS_MAIN(TestForwardIncremental)
#include "test_forward_incremental.moc"
