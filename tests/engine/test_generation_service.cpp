// ctest-labels: unit
// The generation service: the same seed gives the same tokens; greedy output and logits of a
// sequence are the same alone and inside a batch of 4, and match a plain Model::forward loop;
// a request that overflows the context is refused with the numbers; events come in order with
// exactly one done (or one error on failure); cancelling at random points never deadlocks; a job
// run on the service's own model between steps (runWithModel) computes what the same model
// computes alone and leaves the requests around it unchanged.

#include <QtTest>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <stdexcept>
#include <thread>

#include "generation_test_util.h"

using namespace atelier::engine;
using namespace generation_test;
using atelier::ErrorCode;

namespace {

// Greedy tokens and each step's logits from Model::forward alone: the whole prompt in one
// chunk, then one token at a time (an independent path: no service, no batching, no chunks).
void directGreedy(Model& m, const std::vector<std::int32_t>& prompt, int n,
                  std::vector<std::int32_t>& tokens, std::vector<std::vector<float>>& logits) {
    KvCache seq = m.newSequence();
    std::vector<float> l;
    if (!m.forward(seq, prompt, LogitsRequest::Last, l)) qFatal("forward failed");
    for (int i = 0; i < n; ++i) {
        logits.push_back(l);
        const auto t = std::int32_t(std::max_element(l.begin(), l.end()) - l.begin());
        tokens.push_back(t);
        if (i + 1 < n && !m.forward(seq, std::span<const std::int32_t>(&t, 1), LogitsRequest::Last, l))
            qFatal("forward failed");
    }
}

float maxRelDiff(const std::vector<float>& a, const std::vector<float>& b) {
    float scale = 1e-6f, d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        scale = std::max(scale, std::fabs(a[i]));
        d = std::max(d, std::fabs(a[i] - b[i]));
    }
    return d / scale;
}

}  // namespace

class GenerationServiceTest : public QObject {
    Q_OBJECT
private slots:
    void sameSeedSameTokens();
    void greedyAloneEqualsBatchOfFour();
    void overflowNamesTheNumbers();
    void contextFullIsAFinishReason();
    void eventsInOrder();
    void errorExactlyOnceOnFailure();
    void randomCancellationNeverDeadlocks();
    void modelJobRunsBetweenStepsWithoutChangingRequests();
};

void GenerationServiceTest::sameSeedSameTokens() {
    GenerationService s(tinyModel(), smallChunks());
    SamplingParams p{0.9f};
    p.topK = 50;
    p.seed = 1234;
    Record a, b, c;
    auto ha = submitOrDie(s, requestFor(promptOf(40, 1), a, 12, p));
    ha.wait();
    auto hb = submitOrDie(s, requestFor(promptOf(40, 1), b, 12, p));
    hb.wait();
    p.seed = 99;
    auto hc = submitOrDie(s, requestFor(promptOf(40, 1), c, 12, p));
    hc.wait();
    QCOMPARE(a.tokens.size(), std::size_t(12));
    QCOMPARE(a.tokens, b.tokens);
    QVERIFY(a.tokens != c.tokens);  // 12 draws at T=0.9 over 50 tokens: equal by chance ~never
}

void GenerationServiceTest::greedyAloneEqualsBatchOfFour() {
    const int n = 10;
    const auto p0 = promptOf(150, 7);
    std::vector<std::int32_t> refTokens;
    std::vector<std::vector<float>> refLogits;
    auto ref = tinyModel();
    directGreedy(*ref, p0, n, refTokens, refLogits);

    GenerationService s(tinyModel(), smallChunks());
    Record alone;
    submitOrDie(s, requestFor(p0, alone, n)).wait();
    QCOMPARE(alone.tokens, refTokens);
    for (int i = 0; i < n; ++i) QVERIFY(maxRelDiff(alone.logits[std::size_t(i)], refLogits[std::size_t(i)]) < 1e-5f);

    // The others start first, so p0's prefill and decode share steps with them.
    Record others[3], batched;
    std::vector<GenerationHandle> hs;
    for (int k = 0; k < 3; ++k)
        hs.push_back(submitOrDie(s, requestFor(promptOf(20 + std::size_t(k) * 30, 100 + k), others[k], 3 * n)));
    hs.push_back(submitOrDie(s, requestFor(p0, batched, n)));
    for (auto& h : hs) h.wait();
    QCOMPARE(batched.tokens, alone.tokens);
    QCOMPARE(batched.logits, alone.logits);  // bit for bit: rows never mix
    for (auto& o : others) QCOMPARE(o.tokens.size(), std::size_t(3 * n));
}

void GenerationServiceTest::overflowNamesTheNumbers() {
    GenerationOptions o = smallChunks();
    o.maxContext = 200;
    GenerationService s(tinyModel(), o);
    QCOMPARE(s.contextLimit(), std::int64_t(200));
    Record r;
    auto h = s.submit(requestFor(promptOf(150, 3), r, 100));
    QVERIFY(!h);
    QCOMPARE(h.error().code, ErrorCode::Overflow);
    const QString msg = QString::fromStdString(h.error().message);
    for (const char* num : {"250", "150", "100", "200", "65536"}) QVERIFY2(msg.contains(num), qPrintable(msg));
    auto h2 = s.submit(requestFor(promptOf(200, 3), r, 0));
    QVERIFY(!h2);
    QVERIFY(QString::fromStdString(h2.error().message).contains("201"));
    auto h3 = s.submit(requestFor(promptOf(150, 3), r, 50));  // exactly full: accepted
    QVERIFY(h3);
    h3->wait();
    QCOMPARE(r.result->usage.completionTokens, std::int64_t(50));
    QCOMPARE(r.result->reason, FinishReason::Length);
}

void GenerationServiceTest::contextFullIsAFinishReason() {
    GenerationOptions o = smallChunks();
    o.maxContext = 140;
    GenerationService s(tinyModel(), o);
    Record r;
    submitOrDie(s, requestFor(promptOf(130, 5), r, 0)).wait();
    QCOMPARE(r.result->reason, FinishReason::ContextFull);
    QCOMPARE(r.result->usage.completionTokens, std::int64_t(10));
}

void GenerationServiceTest::eventsInOrder() {
    GenerationService s(tinyModel(), smallChunks());
    Record r;
    submitOrDie(s, requestFor(promptOf(300, 9), r, 6)).wait();
    QCOMPARE(r.done, 1);
    QCOMPARE(r.errors, 0);
    QCOMPARE(r.events.back(), std::string("done"));
    const auto firstToken = std::find(r.events.begin(), r.events.end(), "token");
    QVERIFY(std::find(firstToken, r.events.end(), "progress") == r.events.end());
    // Progress: from 0 (nothing cached) up to the prompt, chunk by chunk, never backwards.
    QCOMPARE(r.progress.front(), std::make_pair(std::int64_t(0), std::int64_t(300)));
    QCOMPARE(r.progress.back(), std::make_pair(std::int64_t(300), std::int64_t(300)));
    QCOMPARE(r.progress.size(), std::size_t(4));  // 0, 128, 256, 300
    QVERIFY(std::is_sorted(r.progress.begin(), r.progress.end()));
    QCOMPARE(r.tokens.size(), std::size_t(6));
    QCOMPARE(r.result->tokens, r.tokens);
    QCOMPARE(r.result->usage.promptTokens, std::int64_t(300));
    QCOMPARE(r.result->usage.completionTokens, std::int64_t(6));
    QVERIFY(r.result->usage.prefillTokPerS > 0);
    QVERIFY(r.result->usage.decodeTokPerS > 0);
}

void GenerationServiceTest::errorExactlyOnceOnFailure() {
    GenerationService s(tinyModel(), smallChunks());
    Record r, after;
    auto req = requestFor(promptOf(30, 2), r, 8);
    auto inner = req.callbacks.onToken;
    req.callbacks.onToken = [inner, &r](std::int32_t id, std::string_view t) {
        inner(id, t);
        if (r.tokens.size() == 3) throw std::runtime_error("consumer failed");
    };
    submitOrDie(s, std::move(req)).wait();
    QCOMPARE(r.errors, 1);
    QCOMPARE(r.done, 0);
    QCOMPARE(r.events.back(), std::string("error"));
    QVERIFY(QString::fromStdString(r.error->message).contains("consumer failed"));
    submitOrDie(s, requestFor(promptOf(30, 2), after, 4)).wait();  // the service goes on
    QCOMPARE(after.done, 1);
}

void GenerationServiceTest::randomCancellationNeverDeadlocks() {
    std::mt19937 rng(5);
    std::vector<Record> recs(24);
    {
        GenerationService s(tinyModel(), smallChunks());
        std::vector<GenerationHandle> hs;
        std::vector<std::stop_source> sources(recs.size());
        for (std::size_t i = 0; i < recs.size(); ++i) {
            auto req = requestFor(promptOf(20 + rng() % 300, std::uint32_t(i)), recs[i], 1 + int(rng() % 20));
            req.stopToken = sources[i].get_token();
            hs.push_back(submitOrDie(s, std::move(req)));
        }
        for (std::size_t i = 0; i < hs.size(); ++i) {
            std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
            if (i % 3 == 0) hs[i].cancel();
            else if (i % 3 == 1) sources[i].request_stop();
        }
        hs[2].wait();
        // The rest are cancelled by the destructor.
    }
    for (const Record& r : recs) {
        QCOMPARE(r.done + r.errors, 1);
        QCOMPARE(r.errors, 0);
        QVERIFY(r.result->reason == FinishReason::Cancelled || r.result->reason == FinishReason::Length);
        QCOMPARE(r.result->tokens, r.tokens);
    }
}

void GenerationServiceTest::modelJobRunsBetweenStepsWithoutChangingRequests() {
    const int n = 16;
    const auto prompt = promptOf(200, 5), other = promptOf(90, 6);
    std::vector<std::int32_t> refTokens, otherTokens;
    std::vector<std::vector<float>> refLogits, otherLogits;
    {
        auto ref = tinyModel();
        directGreedy(*ref, prompt, n, refTokens, refLogits);
        directGreedy(*ref, other, 1, otherTokens, otherLogits);
    }
    GenerationService s(tinyModel(), smallChunks());
    Record a;
    auto h = submitOrDie(s, requestFor(prompt, a, n));
    // Jobs while the request prefills and decodes: each one is the model's own forward of
    // another prompt on a sequence of its own.
    std::vector<std::vector<float>> jobLogits;
    for (int i = 0; i < 3; ++i) {
        auto r = s.runWithModel([&](Model& m) {
            KvCache seq = m.newSequence();
            std::vector<float> l;
            if (!m.forward(seq, other, LogitsRequest::Last, l)) throw std::runtime_error("forward failed");
            jobLogits.push_back(std::move(l));
        });
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
    }
    h.wait();
    QCOMPARE(a.tokens, refTokens);
    for (int i = 0; i < n; ++i) QVERIFY(maxRelDiff(a.logits[std::size_t(i)], refLogits[std::size_t(i)]) < 1e-5f);
    QCOMPARE(jobLogits.size(), std::size_t(3));
    for (const auto& l : jobLogits) QVERIFY(maxRelDiff(l, otherLogits[0]) < 1e-5f);
    // A job that throws is an error for its caller; the service goes on.
    auto bad = s.runWithModel([](Model&) { throw std::runtime_error("job failed on purpose"); });
    QVERIFY(!bad.has_value());
    QVERIFY(bad.error().message.find("job failed on purpose") != std::string::npos);
    Record b;
    submitOrDie(s, requestFor(prompt, b, n)).wait();
    QCOMPARE(b.tokens, refTokens);
    // From a callback (the scheduler thread) it refuses instead of waiting on itself.
    Record c;
    std::optional<atelier::Result<void>> fromCallback;
    auto req = requestFor(other, c, 1);
    req.callbacks.onDone = [&](const GenerationResult&) { fromCallback = s.runWithModel([](Model&) {}); };
    submitOrDie(s, std::move(req)).wait();
    QVERIFY(fromCallback.has_value() && !fromCallback->has_value());
}

QTEST_APPLESS_MAIN(GenerationServiceTest)
#include "test_generation_service.moc"
