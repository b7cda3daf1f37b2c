// ctest-labels: unit
// Save → restore → continue equals continuing without the checkpoint, logit for logit and
// hence token for token, for each window strategy (full, periodic, none) and for a hit that is
// a strict prefix of the stored tokens; the restored sequence recomputes exactly the tokens the
// strategy promises (model spec §10.4). A control shows the comparison catches a wrong state.

#include <QTemporaryDir>
#include <QtTest>

#include "checkpoint_test_support.h"

using namespace atelier::engine;
using namespace checkpoint_test;

namespace {

constexpr std::int64_t kPeriod = 64;

struct Outcome {
    std::int64_t matched = 0, start = 0;
    float diff = 0;
    bool greedySame = false;
};

// Stores `stored`, looks up `query`, finishes the hit and runs the query's rest; compares with
// a fresh prefill of the whole query.
Outcome roundTrip(Model& model, WindowStrategy strategy, std::span<const std::int32_t> stored,
                  std::span<const std::int32_t> query, bool spoil = false) {
    QTemporaryDir dir;
    CheckpointPolicy policy{strategy, kPeriod, std::int64_t(1) << 40};
    auto store = CheckpointStore::open(std::filesystem::path(dir.path().toStdString()) / "c.db", policy);
    if (!store) qFatal("%s", store.error().message.c_str());
    const auto fp = fingerprintOf(model);
    std::vector<float> logits;
    KvCache seq = model.newSequence();
    auto states = prefillForCheckpoint(model, seq, stored, policy, logits);
    if (!states || !store->save(fp, seq, *states)) qFatal("save failed");

    auto hit = store->lookup(fp, model.newSequence(), query);
    if (!hit || !hit->has_value()) return {};
    Outcome out{(*hit)->matched, (*hit)->sequence.length()};
    KvCache c = std::move((*hit)->sequence);
    if (spoil) c.layer(1).ring.assign(c.layer(1).ring.size(), 0x11);
    const auto recompute = query.subspan(std::size_t(c.length()), std::size_t(out.matched - c.length()));
    if (!recompute.empty() && !model.forward(c, recompute, LogitsRequest::Last, logits)) qFatal("recompute");
    std::vector<float> got, want;
    const auto rest = query.subspan(std::size_t(out.matched));
    if (!model.forward(c, rest, LogitsRequest::All, got)) qFatal("continue");

    KvCache fresh = model.newSequence();
    if (!model.forward(fresh, query.first(std::size_t(out.matched)), LogitsRequest::Last, logits) ||
        !model.forward(fresh, rest, LogitsRequest::All, want))
        qFatal("reference");
    out.diff = relativeDiff(got, want);
    // Token for token: the greedy choice at every continued position.
    const std::size_t V = std::size_t(model.config().vocabSize);
    out.greedySame = true;
    for (std::size_t t = 0; t < rest.size(); ++t) {
        const auto a = std::max_element(got.begin() + std::ptrdiff_t(t * V), got.begin() + std::ptrdiff_t((t + 1) * V));
        const auto b = std::max_element(want.begin() + std::ptrdiff_t(t * V), want.begin() + std::ptrdiff_t((t + 1) * V));
        out.greedySame &= (a - got.begin()) == (b - want.begin());
    }
    return out;
}

}  // namespace

class TestCheckpointRestore : public QObject {
    Q_OBJECT
    std::unique_ptr<Model> m_model = tinyModel();
    const std::vector<std::int32_t> m_stored = tokens(400, 1);
    const std::vector<std::int32_t> m_suffix = tokens(12, 2);

private slots:
    void continuingFromACheckpointEqualsAFreshPrefill_data() {
        QTest::addColumn<int>("strategy");
        QTest::addColumn<int>("hit");
        QTest::addColumn<int>("start");
        // Tiny: 5 blocks · W 16 + 128 = 208 tokens to recompute without a window state.
        QTest::newRow("full, whole prefix") << int(WindowStrategy::Full) << 400 << 400;
        QTest::newRow("periodic, whole prefix") << int(WindowStrategy::Periodic) << 400 << 384;
        QTest::newRow("periodic, strict prefix") << int(WindowStrategy::Periodic) << 301 << 256;
        QTest::newRow("none, whole prefix") << int(WindowStrategy::None) << 400 << 128;
        QTest::newRow("full, strict prefix falls back to recompute") << int(WindowStrategy::Full) << 390 << 128;
    }
    void continuingFromACheckpointEqualsAFreshPrefill() {
        QFETCH(int, strategy);
        QFETCH(int, hit);
        QFETCH(int, start);
        const auto query = concat(std::span(m_stored).first(std::size_t(hit)), m_suffix);
        const Outcome o = roundTrip(*m_model, WindowStrategy(strategy), m_stored, query);
        QCOMPARE(o.matched, std::int64_t(hit));
        QCOMPARE(o.start, std::int64_t(start));
        QVERIFY2(o.diff <= 1e-5f, qPrintable(QString("relative logit difference %1").arg(o.diff)));
        QVERIFY(o.greedySame);
    }

    void aWrongWindowStateIsCaughtByTheComparison() {
        const auto query = concat(m_stored, m_suffix);
        const Outcome o = roundTrip(*m_model, WindowStrategy::Full, m_stored, query, true);
        QVERIFY2(o.diff > 1e-3f, qPrintable(QString("relative logit difference %1").arg(o.diff)));
    }

    void shortPrefixesGiveNoHitWithoutAWindowState() {
        // 150 tokens < 208: nothing can be reused without a window state.
        const auto stored = std::span(m_stored).first(150);
        const Outcome o = roundTrip(*m_model, WindowStrategy::None, stored, concat(stored, m_suffix));
        QCOMPARE(o.matched, std::int64_t(0));
    }
};

QTEST_APPLESS_MAIN(TestCheckpointRestore)
#include "test_checkpoint_restore.moc"
