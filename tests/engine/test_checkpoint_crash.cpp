// ctest-labels: unit
// Crash safety of the checkpoint store: a child saves checkpoints in a loop (with eviction
// deleting old ones under a small budget), reporting each committed id through a pipe, and is
// SIGKILLed at random moments, 20 times over. After every kill the database passes
// integrity_check, every reported checkpoint that eviction has not removed reads back whole
// and restores, and no partial checkpoint is visible (no row without its whole blob, no chunks
// without a row).

#include <csignal>
#include <random>
#include <set>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QTemporaryDir>
#include <QtTest>

#include "checkpoint_test_support.h"

using namespace atelier::engine;
using namespace checkpoint_test;

namespace {

constexpr int kRounds = 20;

[[noreturn]] void saveForever(const std::filesystem::path& file, int fd, const std::vector<KvCache>& seqs,
                              const ModelFingerprint& fp) {
    CheckpointPolicy policy{WindowStrategy::Full, 64, std::int64_t(6) << 20};
    auto store = CheckpointStore::open(file, policy);
    if (!store) _exit(2);
    for (std::size_t n = 0;; ++n) {
        auto id = store->save(fp, seqs[n % seqs.size()]);
        if (!id) _exit(3);
        const std::int64_t v = *id;
        if (::write(fd, &v, sizeof v) != ssize_t(sizeof v)) _exit(4);
    }
}

}  // namespace

class TestCheckpointCrash : public QObject {
    Q_OBJECT

private slots:
    void killedSaverLeavesNoPartialCheckpoint() {
        auto model = tinyModel();
        const auto fp = fingerprintOf(*model);
        std::vector<KvCache> seqs;
        std::vector<float> logits;
        for (std::uint32_t i = 0; i < 3; ++i) {
            seqs.push_back(model->newSequence());
            QVERIFY(model->forward(seqs.back(), tokens(140 + 60 * i, 30 + i), LogitsRequest::Last, logits));
        }
        QTemporaryDir dir;
        const auto file = std::filesystem::path(dir.path().toStdString()) / "checkpoints.db";
        std::mt19937 rng(20261128);
        std::set<std::int64_t> reported;
        for (int round = 0; round < kRounds; ++round) {
            int fds[2];
            QVERIFY(::pipe(fds) == 0);
            // No database is open in this process across fork(): the child opens its own.
            const pid_t pid = ::fork();
            QVERIFY(pid >= 0);
            if (pid == 0) {
                ::close(fds[0]);
                saveForever(file, fds[1], seqs, fp);
            }
            ::close(fds[1]);
            ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
            std::vector<std::int64_t> ids;
            auto drain = [&] {
                std::int64_t buf[256];
                ssize_t got;
                while ((got = ::read(fds[0], buf, sizeof buf)) > 0)
                    ids.insert(ids.end(), buf, buf + got / ssize_t(sizeof(std::int64_t)));
            };
            // Start the clock at the first commit so that the kill lands among saves.
            const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (ids.empty() && std::chrono::steady_clock::now() < limit) {
                pollfd p{fds[0], POLLIN, 0};
                ::poll(&p, 1, 2);
                drain();
            }
            const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1 + rng() % 40);
            while (std::chrono::steady_clock::now() < until) {
                pollfd p{fds[0], POLLIN, 0};
                ::poll(&p, 1, 1);
                drain();
            }
            ::kill(pid, SIGKILL);
            int status = 0;
            ::waitpid(pid, &status, 0);
            QVERIFY2(WIFSIGNALED(status), "the saving child exited on its own (a save failed)");
            drain();
            ::close(fds[0]);
            reported.insert(ids.begin(), ids.end());

            auto store = CheckpointStore::open(file);
            QVERIFY2(store.has_value(), store ? "" : store.error().message.c_str());
            auto& db = store->database();
            QCOMPARE(db.queryText("PRAGMA integrity_check").value_or(""), std::string("ok"));
            QCOMPARE(db.queryInt("SELECT count(*) FROM checkpoint_chunks WHERE owner NOT IN"
                                 " (SELECT id FROM checkpoints)").value_or(-1),
                     std::int64_t(0));
            QVERIFY(store->verify().value().empty());
            const auto all = store->list().value();
            QVERIFY(!all.empty());
            const std::int64_t newest = all.back().id;
            QVERIFY2(reported.empty() || newest >= *reported.rbegin(), "a reported save is missing");
            for (const auto& c : all) {
                const auto toks = store->tokensOf(c.id).value();
                auto hit = store->lookup(fp, model->newSequence(), toks);
                QVERIFY(hit.has_value() && hit->has_value());
                QCOMPARE((*hit)->matched, c.tokens);
            }
        }
        QVERIFY2(reported.size() >= std::size_t(kRounds), "the child saved too little to test anything");
        qInfo("%zu checkpoints committed over %d kills", reported.size(), kRounds);
    }
};

QTEST_APPLESS_MAIN(TestCheckpointCrash)
#include "test_checkpoint_crash.moc"
