// ctest-labels: unit
// The prefix cache and resumable prefill: a request that forks from a cached prefix gets the
// logits of a fresh prefill; a prefill cancelled midway and submitted again resumes from its
// partial cache and equals an uninterrupted run; the memory cache keeps block-aligned states
// only, within its byte budget, evicting the least recently used.

#include <QtTest>

#include <cmath>

#include "generation_test_util.h"

using namespace atelier::engine;
using namespace generation_test;

class GenerationPrefixTest : public QObject {
    Q_OBJECT
private slots:
    void prefixHitEqualsFreshPrefill();
    void cancelledPrefillResumes();
    void memoryCacheAlignmentAndLru();
    void lookupLeavesATokenToRun();
};

void GenerationPrefixTest::prefixHitEqualsFreshPrefill() {
    const auto shared = promptOf(300, 21);
    auto second = std::vector<std::int32_t>(shared.begin(), shared.begin() + 270);
    const auto tail = promptOf(40, 22);
    second.insert(second.end(), tail.begin(), tail.end());  // 310 tokens, 270 shared

    GenerationService warm(tinyModel(), smallChunks());
    Record first, hit;
    submitOrDie(warm, requestFor(shared, first, 4)).wait();
    QCOMPARE(first.result->usage.cachedTokens, std::int64_t(0));
    submitOrDie(warm, requestFor(second, hit, 4)).wait();
    QCOMPARE(hit.result->usage.cachedTokens, std::int64_t(256));  // the 2 shared whole blocks
    QCOMPARE(hit.progress.front().first, std::int64_t(256));

    GenerationService cold(tinyModel(), smallChunks());
    Record fresh;
    submitOrDie(cold, requestFor(second, fresh, 4)).wait();
    QCOMPARE(fresh.result->usage.cachedTokens, std::int64_t(0));
    QCOMPARE(hit.logits, fresh.logits);  // bit for bit
    QCOMPARE(hit.tokens, fresh.tokens);

    // And both agree with a single whole-prompt forward (another chunking: within tolerance).
    auto m = tinyModel();
    KvCache seq = m->newSequence();
    std::vector<float> whole;
    QVERIFY(m->forward(seq, second, LogitsRequest::Last, whole));
    float scale = 0, diff = 0;
    for (std::size_t i = 0; i < whole.size(); ++i) {
        scale = std::max(scale, std::fabs(whole[i]));
        diff = std::max(diff, std::fabs(whole[i] - hit.logits[0][i]));
    }
    QVERIFY2(diff <= 1e-5f * scale, qPrintable(QString::number(diff / scale)));
}

void GenerationPrefixTest::cancelledPrefillResumes() {
    const auto prompt = promptOf(600, 31);
    GenerationService s(tinyModel(), smallChunks());
    Record cut, resumed;
    std::stop_source stop;
    auto req = requestFor(prompt, cut, 5);
    auto inner = req.callbacks.onProgress;
    req.callbacks.onProgress = [inner, &stop](std::int64_t d, std::int64_t t) {
        inner(d, t);
        if (d >= 256) stop.request_stop();  // polled before the next chunk
    };
    req.stopToken = stop.get_token();
    submitOrDie(s, std::move(req)).wait();
    QCOMPARE(cut.result->reason, FinishReason::Cancelled);
    QCOMPARE(cut.result->usage.completionTokens, std::int64_t(0));
    QCOMPARE(cut.progress.back().first, std::int64_t(256));

    submitOrDie(s, requestFor(prompt, resumed, 5)).wait();
    QCOMPARE(resumed.result->usage.cachedTokens, std::int64_t(256));

    GenerationService other(tinyModel(), smallChunks());
    Record whole;
    submitOrDie(other, requestFor(prompt, whole, 5)).wait();
    QCOMPARE(resumed.logits, whole.logits);
    QCOMPARE(resumed.tokens, whole.tokens);
}

void GenerationPrefixTest::memoryCacheAlignmentAndLru() {
    auto m = tinyModel();
    const auto a = promptOf(256, 41), b = promptOf(256, 42);
    std::vector<float> l;
    KvCache sa = m->newSequence(), sb = m->newSequence(), odd = m->newSequence();
    QVERIFY(m->forward(sa, a, LogitsRequest::Last, l));
    QVERIFY(m->forward(sb, b, LogitsRequest::Last, l));
    QVERIFY(m->forward(odd, std::span(a).first(100), LogitsRequest::Last, l));
    const std::size_t cost = MemoryPrefixCache::stateCost(sa);
    QVERIFY(cost > sa.stateBytes());

    MemoryPrefixCache cache(cost + cost / 2);  // room for one state of this size
    cache.save(odd);
    QCOMPARE(cache.entries(), std::size_t(0));  // not block-aligned
    cache.save(sa);
    QCOMPARE(cache.entries(), std::size_t(1));
    QCOMPARE(cache.bytes(), cost);
    auto hit = cache.lookup(a, 256);
    QVERIFY(hit);
    QCOMPARE(hit->length(), std::int64_t(256));
    QVERIFY(std::equal(hit->tokens().begin(), hit->tokens().end(), a.begin()));
    cache.save(sb);  // over budget: a (least recently used) goes
    QCOMPARE(cache.entries(), std::size_t(1));
    QVERIFY(cache.bytes() <= cache.byteBudget());
    QVERIFY(!cache.lookup(a, 256));
    QVERIFY(cache.lookup(b, 256));

    // Extending a fork taken from the cache leaves the cached state as it was.
    auto f = cache.lookup(b, 256);
    const std::int32_t t = 5;
    QVERIFY(m->forward(*f, std::span<const std::int32_t>(&t, 1), LogitsRequest::Last, l));
    QCOMPARE(cache.lookup(b, 256)->length(), std::int64_t(256));
}

void GenerationPrefixTest::lookupLeavesATokenToRun() {
    // A prompt that is exactly a cached prefix still runs its last block's final token.
    const auto p = promptOf(256, 51);
    GenerationService s(tinyModel(), smallChunks());
    Record first, again;
    submitOrDie(s, requestFor(p, first, 3)).wait();
    submitOrDie(s, requestFor(p, again, 3)).wait();
    QCOMPARE(again.result->usage.cachedTokens, std::int64_t(128));
    QCOMPARE(again.logits, first.logits);
    QCOMPARE(again.tokens, first.tokens);
}

QTEST_APPLESS_MAIN(GenerationPrefixTest)
#include "test_generation_prefix.moc"
