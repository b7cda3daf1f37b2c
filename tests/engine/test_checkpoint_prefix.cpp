// ctest-labels: unit
// The disk checkpoint store as the generation service's prefix cache (CheckpointPrefixStore):
// a second service (a new process, with an empty memory cache) serves a repeated prompt's
// prefix from disk and generates the same tokens as a cold run, greedy and seeded; only a
// prefill's last block-aligned end is written (not every chunk end); a damaged checkpoint is
// flagged once and recomputed with the same output; another model's checkpoint is never used;
// a pinned state (generate --checkpoint) serves its whole length.

#include <QTemporaryDir>
#include <QtTest>

#include <map>

#include "atelier/engine/checkpoint_prefix_store.h"
#include "generation_test_util.h"

using namespace generation_test;

namespace {

constexpr std::uint64_t kSeed = 11;

ModelFingerprint fingerprintOf(const Model& m, std::uint64_t seed = kSeed) {
    return modelFingerprint(m.config(), m.numerics(), seed, fnv1a64("builtin"));
}

struct Run {
    std::vector<std::int32_t> tokens;
    std::int64_t cached = 0;
    CheckpointPrefixStore::Stats stats;
};

// One service lifetime (as one `atelier-cli generate` process) over `db` (none: no disk).
Run generate(const std::filesystem::path& db, const std::vector<std::int32_t>& prompt,
             SamplingParams sampling, std::uint64_t fingerprintSeed = kSeed,
             std::optional<KvCache> pinned = std::nullopt, CheckpointPolicy policy = {}) {
    auto model = tinyModel(kSeed);
    std::optional<CheckpointStore> store;
    if (!db.empty()) {
        auto s = CheckpointStore::open(db, policy);
        if (!s) qFatal("%s", s.error().message.c_str());
        store = std::move(*s);
    }
    auto disk = std::make_shared<CheckpointPrefixStore>(std::move(store), fingerprintOf(*model, fingerprintSeed),
                                                        model->newSequence());
    if (pinned) disk->pin(std::move(*pinned));
    Record rec;
    {
        GenerationOptions options;
        options.prefillChunk = 128;  // a chunk end at every block: the store must not write each
        options.extraStore = disk;
        GenerationService service(std::move(model), options);
        submitOrDie(service, requestFor(prompt, rec, 6, sampling)).wait();
    }
    if (!rec.result) qFatal("generation failed");
    disk->flush();
    return {rec.tokens, rec.result->usage.cachedTokens, disk->stats()};
}

std::vector<CheckpointInfo> listOf(const std::filesystem::path& db) {
    auto s = CheckpointStore::open(db);
    if (!s) qFatal("%s", s.error().message.c_str());
    auto all = s->list();
    return all ? *all : std::vector<CheckpointInfo>{};
}

}  // namespace

class TestCheckpointPrefix : public QObject {
    Q_OBJECT
    const std::vector<std::int32_t> m_prompt = promptOf(300, 3);
    std::map<float, Run> m_cold;  // by temperature: runs without any disk store

    const Run& cold(float temperature) {
        SamplingParams sampling{temperature};
        sampling.seed = 7;
        auto it = m_cold.find(temperature);
        if (it == m_cold.end()) it = m_cold.emplace(temperature, generate({}, m_prompt, sampling)).first;
        return it->second;
    }

private slots:
    void aRepeatedPromptIsServedFromDiskWithTheSameTokens_data() {
        QTest::addColumn<float>("temperature");
        QTest::newRow("greedy") << 0.0f;
        QTest::newRow("seeded") << 1.0f;
    }
    void aRepeatedPromptIsServedFromDiskWithTheSameTokens() {
        QFETCH(float, temperature);
        SamplingParams sampling{temperature};
        sampling.seed = 7;
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "c.db";
        const Run first = generate(db, m_prompt, sampling);
        QCOMPARE(first.cached, std::int64_t(0));
        QCOMPARE(first.tokens, cold(temperature).tokens);
        // Chunk ends at 128 and 256 were offered; only the last one is on disk.
        const auto stored = listOf(db);
        QCOMPARE(stored.size(), std::size_t(1));
        QCOMPARE(stored[0].tokens, std::int64_t(256));
        QVERIFY(stored[0].name.empty());

        const Run second = generate(db, m_prompt, sampling);
        QCOMPARE(second.stats.hits, std::int64_t(1));
        QCOMPARE(second.cached, std::int64_t(256));
        QCOMPARE(second.tokens, cold(temperature).tokens);
        QCOMPARE(second.stats.written, std::int64_t(0));  // already there
        QCOMPARE(listOf(db).size(), std::size_t(1));
    }

    void aLongerPromptExtendsTheStoredPrefix() {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "c.db";
        generate(db, std::vector<std::int32_t>(m_prompt.begin(), m_prompt.begin() + 200), {0.0f});
        const Run longer = generate(db, m_prompt, {0.0f});
        QCOMPARE(longer.cached, std::int64_t(128));
        QCOMPARE(longer.tokens, cold(0.0f).tokens);
        QCOMPARE(listOf(db).size(), std::size_t(2));  // 128 and 256 tokens
    }

    void thePeriodicStrategyKeepsTheWindowStatesOfTheWholePrefill() {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "c.db";
        const CheckpointPolicy periodic{WindowStrategy::Periodic, 128, std::int64_t(1) << 40};
        generate(db, m_prompt, {0.0f}, kSeed, std::nullopt, periodic);
        const auto stored = listOf(db);
        QCOMPARE(stored.size(), std::size_t(1));
        QCOMPARE(stored[0].windowStates, std::int64_t(2));  // at 128 and 256 tokens
        // A prompt that leaves the stored one at 200 restarts from the state at 128.
        auto branch = std::vector<std::int32_t>(m_prompt.begin(), m_prompt.begin() + 200);
        const auto other = promptOf(100, 9);
        branch.insert(branch.end(), other.begin(), other.end());
        const Run hit = generate(db, branch, {0.0f}, kSeed, std::nullopt, periodic);
        QCOMPARE(hit.cached, std::int64_t(128));
        QCOMPARE(hit.tokens, generate({}, branch, {0.0f}).tokens);
    }

    void aDamagedCheckpointIsRecomputedWithTheSameTokens() {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "c.db";
        generate(db, m_prompt, {0.0f});
        {
            auto s = CheckpointStore::open(db);
            QVERIFY(s && s->database().exec("UPDATE checkpoint_chunks SET data = zeroblob(length(data))"));
        }
        const Run second = generate(db, m_prompt, {0.0f});
        QCOMPARE(second.cached, std::int64_t(0));
        QCOMPARE(second.tokens, cold(0.0f).tokens);
        const auto stored = listOf(db);
        QVERIFY(!stored.empty());
        QVERIFY(stored[0].damaged);
        // Recomputed and stored again; the next run is served from the good copy.
        const Run third = generate(db, m_prompt, {0.0f});
        QCOMPARE(third.cached, std::int64_t(256));
        QCOMPARE(third.tokens, cold(0.0f).tokens);
    }

    void anotherModelsCheckpointIsNeverUsed() {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "c.db";
        generate(db, m_prompt, {0.0f});
        const Run other = generate(db, m_prompt, {0.0f}, kSeed + 1);
        QCOMPARE(other.cached, std::int64_t(0));
        QCOMPARE(other.stats.hits, std::int64_t(0));
    }

    void aPinnedCheckpointServesItsWholeLength() {
        // A named checkpoint of 201 tokens (not block-aligned), restored and pinned.
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "c.db";
        const std::vector<std::int32_t> head(m_prompt.begin(), m_prompt.begin() + 201);
        auto model = tinyModel(kSeed);
        auto store = CheckpointStore::open(db);
        QVERIFY(store.has_value());
        KvCache seq = model->newSequence();
        std::vector<float> logits;
        auto states = prefillForCheckpoint(*model, seq, head, store->policy(), logits);
        QVERIFY(states && store->save(fingerprintOf(*model), seq, *states, "doc"));
        auto hit = store->restoreNamed("doc", fingerprintOf(*model), model->newSequence());
        QVERIFY(hit.has_value());
        QCOMPARE(hit->recompute(), std::int64_t(0));
        const Run pinned = generate({}, m_prompt, {0.0f}, kSeed, std::move(hit->sequence));
        QCOMPARE(pinned.cached, std::int64_t(201));
        QCOMPARE(pinned.tokens, cold(0.0f).tokens);
    }
};

QTEST_APPLESS_MAIN(TestCheckpointPrefix)
#include "test_checkpoint_prefix.moc"
