// ctest-labels: unit
// The forward pass's persistent thread pool with 1, 2 and 8 threads: every part runs exactly
// once per run, over many runs in a row (the generation hand-off), with few and many parts;
// parts really run concurrently when there are workers; cancel() from another thread stops a
// run early (started parts finish, none runs twice, run() says false), the next run is whole
// again; and destroying a pool right after a run (or idle) joins cleanly.

#include <QtTest>

#include <atomic>
#include <mutex>
#include <set>

#include <sched.h>
#include <chrono>
#include <thread>
#include <vector>

#include "../../engine/src/forward/thread_pool.h"

using atelier::engine::fwd::ThreadPool;

class TestThreadPool : public QObject {
    Q_OBJECT
private slots:
    void everyPartRunsExactlyOnce_data() {
        QTest::addColumn<int>("threads");
        QTest::newRow("1") << 1;
        QTest::newRow("2") << 2;
        QTest::newRow("8") << 8;
    }
    void everyPartRunsExactlyOnce() {
        QFETCH(int, threads);
        ThreadPool pool(threads);
        QCOMPARE(pool.threads(), threads);
        std::vector<std::atomic<int>> hits(64);
        for (int round = 0; round < 500; ++round) {
            const int parts = 1 + round % 64;
            for (int p = 0; p < parts; ++p) hits[std::size_t(p)] = 0;
            auto fn = [&](int p) { hits[std::size_t(p)].fetch_add(1); };
            QVERIFY(pool.run(parts, fn));
            for (int p = 0; p < parts; ++p) QCOMPARE(hits[std::size_t(p)].load(), 1);
        }
    }

    void workersRunPartsConcurrently() {
        ThreadPool pool(2);
        std::atomic<int> inside{0}, most{0};
        auto fn = [&](int) {
            const int now = inside.fetch_add(1) + 1;
            int seen = most.load();
            while (now > seen && !most.compare_exchange_weak(seen, now)) {}
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            inside.fetch_sub(1);
        };
        QVERIFY(pool.run(4, fn));
        QCOMPARE(most.load(), 2);
    }

    void cancelStopsTheRunAndTheNextRunIsWhole_data() { everyPartRunsExactlyOnce_data(); }
    void cancelStopsTheRunAndTheNextRunIsWhole() {
        QFETCH(int, threads);
        ThreadPool pool(threads);
        const int parts = 400;
        std::vector<std::atomic<int>> hits(parts);
        std::atomic<int> started{0};
        auto slow = [&](int p) {
            started.fetch_add(1);
            hits[std::size_t(p)].fetch_add(1);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        };
        std::thread canceller([&] {
            while (started.load() < 5) std::this_thread::yield();
            pool.cancel();
        });
        const bool whole = pool.run(parts, slow);
        canceller.join();
        QVERIFY(!whole);
        int ran = 0;
        for (auto& h : hits) {
            QVERIFY(h.load() <= 1);
            ran += h.load();
        }
        QVERIFY(ran >= 5);
        QVERIFY(ran < parts);
        for (auto& h : hits) h = 0;
        auto fast = [&](int p) { hits[std::size_t(p)].fetch_add(1); };
        QVERIFY(pool.run(parts, fast));  // a cancel does not leak into the next run
        for (auto& h : hits) QCOMPARE(h.load(), 1);
    }

    void pinnedThreadsRunOnOneCoreEach() {
        std::set<int> masks;  // how many cores each part's thread may run on
        std::atomic<int> sum{0};
        bool pinned = false, whole = false;
        std::thread t([&] {  // the caller gets pinned too: keep the test's own thread free
            ThreadPool pool(2, true);
            pinned = pool.pinned();
            std::mutex m;
            auto fn = [&](int part) {
                cpu_set_t mine;
                sched_getaffinity(0, sizeof(mine), &mine);  // 0: the calling thread
                std::lock_guard lock(m);
                masks.insert(CPU_COUNT(&mine));
                sum += part;
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            };
            whole = pool.run(64, fn);
        });
        t.join();
        QVERIFY(pinned && whole);
        QCOMPARE(sum.load(), 64 * 63 / 2);
        QCOMPARE(masks, (std::set<int>{1}));  // every thread is bound to exactly one core
    }

    void destroyingRightAfterARunJoins() {
        for (int i = 0; i < 50; ++i) {
            ThreadPool pool(8);
            std::atomic<int> n{0};
            auto fn = [&](int) { n.fetch_add(1); };
            pool.run(16, fn);
            QCOMPARE(n.load(), 16);
        }
        ThreadPool idle(8);  // never used
    }
};

QTEST_APPLESS_MAIN(TestThreadPool)
#include "test_thread_pool.moc"
