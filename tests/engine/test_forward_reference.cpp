// ctest-labels: unit
// ctest-timeout: 900
// The fast forward agrees with the double-precision reference forward (reference_forward.h)
// on the spec §13 prompt lengths 1 … 300, on F32 and FP8 weights, in both numerics, and in
// decode steps past 512 tokens.
//
// Tolerances:
// * Plain: float against double, nothing discrete but the top-k choices; measured differences
//   are ~5e-7 of the logit scale, the bound is 2e-5.
// * Release: both engines simulate the same casts (FP8 activations and KV, FP4 indexer, BF16
//   roundings), but a value computed in float can land on the other side of a rounding boundary
//   than in double, and the random tiny model is chaotic under these casts: the reference
//   itself moves its logits by up to ~20% of their RMS when the embedding is scaled by 1+1e-6.
//   So Release is compared (a) tightly on the positions before the first flip (0 … 4), (b) on
//   one-layer models where a flip cannot cascade through later layers, at 300 positions, most
//   of which must agree to 1e-4 and all to 2e-2, and (c) loosely (relative RMS below 0.5) on
//   every position of the full model, which still catches a missing layer or mechanism.

#include <QtTest>

#include "atelier/engine/model.h"
#include "atelier/engine/reference_forward.h"
#include "forward_test_models.h"

using namespace atelier::engine;
using namespace forward_test;

namespace {

using Logits = std::vector<std::vector<float>>;

Logits reference(const WeightSource& w, const std::vector<std::int32_t>& ids, Numerics n) {
    auto ref = referenceForward(w, ids, ReferenceOptions{n});
    if (!ref) qFatal("%s", ref.error().message.c_str());
    return std::move(*ref);
}

std::unique_ptr<Model> fast(std::unique_ptr<OwnedWeights> w, Numerics n) {
    auto m = Model::load(std::move(w), ModelOptions{n, 1});
    if (!m) qFatal("%s", m.error().message.c_str());
    return std::move(*m);
}

std::vector<float> prefill(Model& m, std::span<const std::int32_t> ids, LogitsRequest req) {
    KvCache seq = m.newSequence();
    std::vector<float> logits;
    if (!m.forward(seq, ids, req, logits)) qFatal("forward failed");
    return logits;
}

float scaleOf(const Logits& l) {
    float s = 0;
    for (const auto& row : l)
        for (float v : row) s = std::max(s, std::fabs(v));
    return s;
}

float relativeRms(const float* a, const float* b, std::size_t n) {
    double d = 0, r = 0;
    for (std::size_t i = 0; i < n; ++i) {
        d += double(a[i] - b[i]) * double(a[i] - b[i]);
        r += double(b[i]) * double(b[i]);
    }
    return float(std::sqrt(d / r));
}

}  // namespace

class TestForwardReference : public QObject {
    Q_OBJECT
private slots:
    void plainMatchesTheReferenceAtEveryLength_data() {
        QTest::addColumn<int>("scheme");
        QTest::newRow("f32") << int(WeightScheme::F32);
        QTest::newRow("fp8") << int(WeightScheme::FP8);
    }
    void plainMatchesTheReferenceAtEveryLength() {
        QFETCH(int, scheme);
        const ModelConfig cfg = tinyConfig();
        const auto V = std::size_t(cfg.vocabSize);
        const auto ids = tokens(300, 3);
        auto weights = weightsIn(cfg, 11, WeightScheme(scheme));
        const Logits ref = reference(*weights, ids, Numerics::Plain);
        auto model = fast(std::move(weights), Numerics::Plain);
        const float tol = 2e-5f * scaleOf(ref);
        // Separate prompts for the short lengths and 129; the 300-token prompt's positions
        // give the prompts of length 100, 127, 128, 255, 256 and 300 (causality; chunking is
        // covered by test_forward_incremental).
        for (int len : {1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 64, 129}) {
            const auto logits = prefill(*model, std::span(ids).first(std::size_t(len)), LogitsRequest::Last);
            const float d = maxAbsDiff(logits.data(), ref[std::size_t(len - 1)].data(), V);
            if (d > tol) QFAIL(qPrintable(QString("length %1: diff %2 > %3").arg(len).arg(d).arg(tol)));
        }
        const auto all = prefill(*model, ids, LogitsRequest::All);
        for (int len : {100, 127, 128, 255, 256, 300}) {
            const float d = maxAbsDiff(all.data() + std::size_t(len - 1) * V, ref[std::size_t(len - 1)].data(), V);
            if (d > tol) QFAIL(qPrintable(QString("length %1: diff %2 > %3").arg(len).arg(d).arg(tol)));
        }
    }

    void releaseMatchesTheReferenceBeforeAnyRoundingFlip() {
        const ModelConfig cfg = tinyConfig();
        const auto V = std::size_t(cfg.vocabSize);
        const auto ids = tokens(300, 3);
        auto weights = weightsIn(cfg, 11, WeightScheme::FP8);
        const Logits ref = reference(*weights, ids, Numerics::Release);
        const Logits plain = reference(*weights, std::vector(ids.begin(), ids.begin() + 5), Numerics::Plain);
        auto model = fast(std::move(weights), Numerics::Release);
        const float scale = scaleOf(ref);
        const auto all = prefill(*model, ids, LogitsRequest::All);
        for (std::size_t p = 0; p < 5; ++p) {
            const float d = maxAbsDiff(all.data() + p * V, ref[p].data(), V);
            QVERIFY2(d <= 1e-4f * scale, qPrintable(QString("pos %1: %2").arg(p).arg(d)));
            // And Release really differs from Plain there: the casts are simulated.
            QVERIFY(maxAbsDiff(ref[p].data(), plain[p].data(), V) > 1e-2f * scale);
        }
        for (std::size_t p = 0; p < ids.size(); ++p) {
            const float r = relativeRms(all.data() + p * V, ref[p].data(), V);
            QVERIFY2(r < 0.5f, qPrintable(QString("pos %1: relative RMS %2").arg(p).arg(r)));
        }
    }

    void releaseMatchesTheReferenceOnOneLayerModels_data() {
        QTest::addColumn<int>("ratio");
        QTest::newRow("swa") << 0;
        QTest::newRow("csa") << 4;
        QTest::newRow("hca") << 128;
    }
    void releaseMatchesTheReferenceOnOneLayerModels() {
        QFETCH(int, ratio);
        ModelConfig cfg = tinyConfig();
        cfg.nLayers = 1;
        cfg.compressRatios = {ratio, 0};
        cfg.nHashLayers = 0;
        const auto V = std::size_t(cfg.vocabSize);
        const auto ids = tokens(300, 3);
        auto weights = weightsIn(cfg, 11, WeightScheme::FP8);
        const Logits ref = reference(*weights, ids, Numerics::Release);
        auto model = fast(std::move(weights), Numerics::Release);
        const float scale = scaleOf(ref);
        const auto all = prefill(*model, ids, LogitsRequest::All);
        int close = 0;
        for (std::size_t p = 0; p < ids.size(); ++p) {
            const float d = maxAbsDiff(all.data() + p * V, ref[p].data(), V);
            if (d <= 1e-4f * scale) ++close;
            QVERIFY2(d <= 2e-2f * scale, qPrintable(QString("pos %1: %2").arg(p).arg(d)));
        }
        QVERIFY2(close >= 285, qPrintable(QString("%1 of 300 positions within 1e-4").arg(close)));
    }

    void decodeStepsAtDepthMatchTheReference() {
        // The decode path at a depth where its context-growing work is split: past 512 tokens
        // a CSA layer of the tiny config holds over 128 indexer keys (decoded and scored in
        // tiles across the pool, top-4 of them selected), an HCA layer four compressed entries,
        // and attention's heads run on two threads. Decode steps from 520 to 531 must give the
        // reference's logits at those positions (Plain: float against double, as above).
        const ModelConfig cfg = tinyConfig();
        const auto V = std::size_t(cfg.vocabSize);
        const auto ids = tokens(532, 5);
        auto weights = weightsIn(cfg, 11, WeightScheme::F32);
        const Logits ref = reference(*weights, ids, Numerics::Plain);
        auto m = Model::load(std::move(weights), ModelOptions{Numerics::Plain, 2});
        QVERIFY(m);
        const float tol = 2e-5f * scaleOf(ref);
        KvCache seq = (*m)->newSequence();
        std::vector<float> logits;
        QVERIFY((*m)->forward(seq, std::span(ids).first(520), LogitsRequest::Last, logits));
        for (std::size_t p = 520; p < ids.size(); ++p) {
            QVERIFY((*m)->forward(seq, std::span(ids).subspan(p, 1), LogitsRequest::Last, logits));
            const float d = maxAbsDiff(logits.data(), ref[p].data(), V);
            if (d > tol) QFAIL(qPrintable(QString("pos %1: diff %2 > %3").arg(p).arg(d).arg(tol)));
        }
    }
};

QTEST_APPLESS_MAIN(TestForwardReference)
#include "test_forward_reference.moc"
