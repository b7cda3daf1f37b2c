// The sampler honours each setting (greedy, temperature, top-k, top-p, min-p, penalties), the
// same seed gives the same tokens, and stop conditions fire on tokens, strings split across
// tokens, and the token limit.

#include <cmath>
#include <map>
#include <vector>

#include <QtTest>

#include "atelier/engine/sampler.h"

using namespace atelier::engine;

namespace {

std::vector<float> logitsFor(const std::vector<double>& probs) {
    std::vector<float> l;
    for (double p : probs) l.push_back(float(std::log(p)));
    return l;
}

std::map<int, int> histogram(SamplingParams params, const std::vector<float>& logits, int n) {
    Sampler s(params);
    std::map<int, int> h;
    for (int i = 0; i < n; ++i) ++h[s.sample(logits)];
    return h;
}

}  // namespace

class TestSampler : public QObject {
    Q_OBJECT
private slots:
    void greedyPicksTheArgmaxWithLowerIdOnTies() {
        SamplingParams p;
        p.temperature = 0;
        Sampler s(p);
        QCOMPARE(s.sample(std::vector<float>{0.1f, 3.0f, -1.0f, 2.9f}), 1);
        QCOMPARE(s.sample(std::vector<float>{5.0f, 1.0f, 5.0f}), 0);
        QCOMPARE(s.sample(std::vector<float>{NAN, 1.0f}), 1);
    }

    void sameSeedSameTokensOtherSeedDiffers() {
        const auto logits = logitsFor({0.2, 0.2, 0.2, 0.2, 0.2});
        SamplingParams p;
        p.seed = 42;
        Sampler a(p), b(p);
        p.seed = 43;
        Sampler c(p);
        std::vector<int> ta, tb, tc;
        for (int i = 0; i < 64; ++i) {
            ta.push_back(a.sample(logits));
            tb.push_back(b.sample(logits));
            tc.push_back(c.sample(logits));
        }
        QCOMPARE(ta, tb);
        QVERIFY(ta != tc);
    }

    void temperatureOneFollowsTheSoftmax() {
        const std::vector<double> probs{0.5, 0.3, 0.15, 0.05};
        SamplingParams p;
        p.seed = 7;
        const int n = 40000;
        const auto h = histogram(p, logitsFor(probs), n);
        for (int i = 0; i < 4; ++i) {
            const double freq = double(h.count(i) ? h.at(i) : 0) / n;
            const double sigma = std::sqrt(probs[std::size_t(i)] * (1 - probs[std::size_t(i)]) / n);
            QVERIFY2(std::fabs(freq - probs[std::size_t(i)]) < 5 * sigma,
                     qPrintable(QStringLiteral("token %1: %2 vs %3").arg(i).arg(freq).arg(probs[std::size_t(i)])));
        }
    }

    void lowTemperatureSharpens() {
        const auto logits = logitsFor({0.4, 0.35, 0.25});
        SamplingParams p;
        p.temperature = 0.1f;
        p.seed = 3;
        const int n = 4000;
        const auto h = histogram(p, logits, n);
        // Expected: softmax(log p / T), computed here independently.
        double z = 0, e0 = 0;
        for (double q : {0.4, 0.35, 0.25}) {
            const double e = std::pow(q, 1.0 / 0.1);
            z += e;
            if (q == 0.4) e0 = e;
        }
        const double want = e0 / z;  // about 0.78, far above the 0.4 of temperature 1
        const double freq = double(h.at(0)) / n;
        QVERIFY2(std::fabs(freq - want) < 5 * std::sqrt(want * (1 - want) / n),
                 qPrintable(QStringLiteral("%1 vs %2").arg(freq).arg(want)));
    }

    void topKTopPAndMinPRestrictTheSet() {
        const auto logits = logitsFor({0.4, 0.3, 0.2, 0.06, 0.04});
        SamplingParams k;
        k.topK = 2;
        k.seed = 1;
        for (const auto& [id, _] : histogram(k, logits, 3000)) QVERIFY(id < 2);
        SamplingParams tp;
        tp.topP = 0.85f;  // 0.4 + 0.3 + 0.2 = 0.9 >= 0.85: three tokens
        tp.seed = 2;
        const auto ht = histogram(tp, logits, 3000);
        for (const auto& [id, _] : ht) QVERIFY(id < 3);
        QVERIFY(ht.count(2));
        SamplingParams mp;
        mp.minP = 0.4f;  // keeps p >= 0.16: ids 0, 1, 2
        mp.seed = 3;
        const auto hm = histogram(mp, logits, 3000);
        for (const auto& [id, _] : hm) QVERIFY(id < 3);
        QVERIFY(hm.count(2));
    }

    void penaltiesDiscourageRepeats() {
        SamplingParams p;
        p.temperature = 0;
        p.repetitionPenalty = 2.0f;
        Sampler s(p);
        const std::vector<float> logits{3.0f, 2.0f, 0.5f};
        QCOMPARE(s.sample(logits), 0);  // then 3.0 / 2 = 1.5 < 2.0
        QCOMPARE(s.sample(logits), 1);
        SamplingParams f;
        f.temperature = 0;
        f.frequencyPenalty = 0.6f;
        Sampler sf(f);
        const std::vector<float> l2{2.0f, 1.0f};
        QCOMPARE(sf.sample(l2), 0);  // 2.0 - 0.6 = 1.4 > 1.0
        QCOMPARE(sf.sample(l2), 0);  // 2.0 - 1.2 = 0.8 < 1.0
        QCOMPARE(sf.sample(l2), 1);
        SamplingParams pr;
        pr.temperature = 0;
        pr.presencePenalty = 1.5f;
        Sampler sp(pr);
        QCOMPARE(sp.sample(l2), 0);
        QCOMPARE(sp.sample(l2), 1);  // 2.0 - 1.5 = 0.5 < 1.0
    }

    void penaltyWindowForgetsOldTokens() {
        SamplingParams p;
        p.temperature = 0;
        p.presencePenalty = 5.0f;
        p.penaltyWindow = 2;
        Sampler s(p);
        s.accept(0);
        s.accept(1);
        s.accept(1);  // token 0 has left the window
        QCOMPARE(s.sample(std::vector<float>{2.0f, 1.9f}), 0);
    }

    void invalidParamsAreRejected() {
        SamplingParams p;
        p.temperature = -1;
        QVERIFY(!p.validate().has_value());
        p = {};
        p.topP = 0;
        QVERIFY(!p.validate().has_value());
        p = {};
        QVERIFY(p.validate().has_value());
    }

    void stopConditions() {
        StopCondition stop;
        stop.maxTokens = 5;
        stop.stopTokens = {1};
        stop.stopStrings = {"</end>"};
        std::size_t cut = 0;
        QCOMPARE(stop.check(1, 1, "x", 1), StopCondition::Reason::StopToken);
        QCOMPARE(stop.check(2, 9, "abc</e", 3), StopCondition::Reason::None);
        // The stop string completes across tokens.
        QCOMPARE(stop.check(3, 9, "abc</end>tail", 7, &cut), StopCondition::Reason::StopString);
        QCOMPARE(cut, std::size_t(3));
        QCOMPARE(stop.check(5, 9, "abcdef", 1), StopCondition::Reason::MaxTokens);
        StopCondition none;
        QCOMPARE(none.check(1000, 9, "abc", 1), StopCondition::Reason::None);
    }
};

QTEST_APPLESS_MAIN(TestSampler)
#include "test_sampler.moc"
