// ctest-labels: unit
// The bubblewrap sandbox: no network, nothing outside the grants (not the home folder, not
// /etc/shadow, not an ungranted folder), denied files inside a grant masked, read-only grants
// unwritable, read-write grants writable, the wall-time limit kills the whole process tree,
// and a missing bwrap refuses every run. Issue 21: RLIMIT_NPROC bounds a fork bomb and
// RLIMIT_AS a runaway allocation (as an unprivileged user: Linux exempts root from
// RLIMIT_NPROC, so under root the command line runs through setpriv as nobody). Skips (with the reason) where this machine cannot
// create user namespaces.

#include <unistd.h>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "atelier/agents/sandbox.h"

using namespace atelier;
using namespace atelier::agents;
namespace fs = std::filesystem;

class TestSandbox : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path m_root, m_readable, m_writable, m_ungranted;

    static void write(const fs::path& p, const std::string& text) {
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
    }

    Policy grants() const {
        return Policy({{m_readable, Access::Read}, {m_writable, Access::Write}});
    }

    // Runs a shell command in the sandbox under the test's grants.
    SandboxOutput sh(const std::string& script, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
        SandboxSpec spec;
        spec.argv = {"/bin/sh", "-c", script};
        spec.timeLimit = limit;
        auto r = sandbox::run(spec, grants());
        if (!r) qFatal("sandbox run refused: %s", r.error().message.c_str());
        return *r;
    }

    // Runs `spec` with no grants. As root, where Linux ignores RLIMIT_NPROC, the sandbox's own
    // command line runs through setpriv as nobody (bwrap then makes an unprivileged user
    // namespace), so the limits are tested as they bind for a normal user.
    SandboxOutput runLimited(const SandboxSpec& spec) {
        if (::geteuid() != 0) {
            auto r = sandbox::run(spec, Policy({}));
            if (!r) qFatal("sandbox run refused: %s", r.error().message.c_str());
            return *r;
        }
        auto argv = sandbox::commandLine(spec, Policy({}));
        if (!argv) qFatal("no command line: %s", argv.error().message.c_str());
        QStringList args = {"--reuid=65534", "--regid=65534", "--clear-groups", "--"};
        for (const auto& a : *argv) args << QString::fromStdString(a);
        QProcess p;
        p.start("setpriv", args);
        SandboxOutput out;
        if (!p.waitForStarted(5000)) qFatal("setpriv did not start");
        p.closeWriteChannel();
        if (!p.waitForFinished(int(spec.timeLimit.count()) + 5000)) {
            out.timedOut = true;
            p.kill();
            p.waitForFinished(5000);
        }
        out.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        out.out = p.readAllStandardOutput().toStdString();
        out.err = p.readAllStandardError().toStdString();
        return out;
    }

private slots:
    void initTestCase() {
        if (auto ok = sandbox::available(); !ok)
            QSKIP(("bubblewrap cannot sandbox on this machine: " + ok.error().message).c_str());
        QVERIFY(m_tmp.isValid());
        m_root = fs::canonical(m_tmp.path().toStdString());
        m_readable = m_root / "readable";
        m_writable = m_root / "writable";
        m_ungranted = m_root / "ungranted";
        write(m_readable / "doc.txt", "granted text");
        write(m_readable / ".env", "TOKEN=secret-env");
        write(m_readable / "keys" / "server.pem", "secret-key");
        write(m_writable / "notes.txt", "notes");
        write(m_ungranted / "secret.txt", "ungranted secret");
    }

    void readsGrantedPaths() {
        const auto r = sh("cat '" + (m_readable / "doc.txt").string() + "'");
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(QString::fromStdString(r.out), QString("granted text"));
    }

    void cannotReadOutsideTheGrants() {
        QVERIFY(sh("cat '" + (m_ungranted / "secret.txt").string() + "'").exitCode != 0);
        QVERIFY(sh("ls '" + m_ungranted.string() + "'").exitCode != 0);
        QVERIFY(sh("cat /etc/shadow").exitCode != 0);
        QVERIFY(sh("cat /etc/passwd").exitCode != 0);
        if (const char* home = std::getenv("HOME"); home && *home && fs::is_directory(home)) {
            // The home folder is not there at all (HOME inside is the private /tmp).
            const auto r = sh("ls -A '" + std::string(home) + "' 2>/dev/null | wc -l");
            QCOMPARE(QString::fromStdString(r.out).trimmed(), QString("0"));
        }
    }

    void deniedFilesInsideAGrantAreMasked() {
        const auto env = sh("cat '" + (m_readable / ".env").string() + "'");
        QVERIFY(env.out.find("secret-env") == std::string::npos);
        const auto pem = sh("cat '" + (m_readable / "keys" / "server.pem").string() + "'");
        QVERIFY(pem.out.find("secret-key") == std::string::npos);
    }

    void theDataFolderIsNeverBound() {
        const fs::path ws = m_root / "ws";
        write(ws / "doc.txt", "workspace text");
        write(ws / "data" / "audit.db", "audit records");
        write(m_root / "data2" / "audit.db", "other audit records");
        SandboxSpec spec;
        spec.argv = {"/bin/sh", "-c", "cat '" + (ws / "doc.txt").string() + "' '" + (ws / "data" / "audit.db").string() +
                                          "' '" + (m_root / "data2" / "audit.db").string() + "'"};
        // The data folder inside a grant is masked; a grant that is the data folder is not bound.
        auto inside = sandbox::run(spec, Policy({{ws, Access::Read}}, ws / "data"));
        QVERIFY(inside.has_value());
        QVERIFY(inside->out.find("workspace text") != std::string::npos);
        QVERIFY(inside->out.find("audit records") == std::string::npos);
        auto itself = sandbox::run(spec, Policy({{m_root / "data2", Access::Read}}, m_root / "data2"));
        QVERIFY(itself.has_value());
        QVERIFY(itself->out.find("audit records") == std::string::npos);
    }

    void readOnlyGrantsAreUnwritable() {
        QVERIFY(sh("echo x > '" + (m_readable / "new.txt").string() + "'").exitCode != 0);
        QVERIFY(sh("echo x >> '" + (m_readable / "doc.txt").string() + "'").exitCode != 0);
        QVERIFY(!fs::exists(m_readable / "new.txt"));
        QVERIFY(sh("touch /usr/atelier-probe").exitCode != 0);
    }

    void readWriteGrantsAreWritable() {
        QCOMPARE(sh("echo written > '" + (m_writable / "out.txt").string() + "'").exitCode, 0);
        std::ifstream in(m_writable / "out.txt");
        std::string text;
        std::getline(in, text);
        QCOMPARE(QString::fromStdString(text), QString("written"));
    }

    void aNestedReadGrantDoesNotHideAnOuterWriteGrant() {
        const fs::path outer = m_root / "outer";
        write(outer / "inner" / "a.txt", "a");
        SandboxSpec spec;
        spec.argv = {"/bin/sh", "-c", "echo b > '" + (outer / "inner" / "b.txt").string() + "'"};
        // Either order in the policy: the write grant on the outer folder covers the inner one.
        for (const auto& grants : {std::vector<PathGrant>{{outer / "inner", Access::Read}, {outer, Access::Write}},
                                   std::vector<PathGrant>{{outer, Access::Write}, {outer / "inner", Access::Read}}}) {
            fs::remove(outer / "inner" / "b.txt");
            auto r = sandbox::run(spec, Policy(grants));
            QVERIFY(r.has_value());
            QCOMPARE(r->exitCode, 0);
            QVERIFY(fs::exists(outer / "inner" / "b.txt"));
        }
    }

    void tmpIsPrivate() {
        const fs::path probe = fs::path("/tmp") / ("atelier-sandbox-probe-" + std::to_string(::getpid()));
        write(probe, "host tmp");
        const auto r = sh("cat '" + probe.string() + "'; echo x > /tmp/inside-only");
        fs::remove(probe);
        QVERIFY(r.out.find("host tmp") == std::string::npos);
        QVERIFY(!fs::exists("/tmp/inside-only"));
    }

    void cannotReachTheNetwork() {
        // Only a loopback device that is down: no interface but lo, and a TCP connect fails
        // (bash's /dev/tcp does a real socket + connect).
        const auto ifs = sh("ls /sys/class/net 2>/dev/null; cat /proc/net/dev | tail -n +3 | cut -d: -f1");
        QVERIFY2(ifs.out.find("eth") == std::string::npos, ifs.out.c_str());
        const auto tcp = sh("exec bash -c 'echo > /dev/tcp/1.1.1.1/53' 2>&1; echo rc=$?");
        QVERIFY2(tcp.out.find("rc=0") == std::string::npos, tcp.out.c_str());
        const auto local = sh("exec bash -c 'echo > /dev/tcp/127.0.0.1/22' 2>&1; echo rc=$?");
        QVERIFY2(local.out.find("rc=0") == std::string::npos, local.out.c_str());
    }

    void timeLimitKillsTheWholeTree() {
        // A background child keeps the output pipe open: only killing every process in the
        // sandbox lets the run return.
        const auto start = std::chrono::steady_clock::now();
        const auto r = sh("sleep 30 & sleep 30; echo never", std::chrono::milliseconds(500));
        const auto took = std::chrono::steady_clock::now() - start;
        QVERIFY(r.timedOut);
        QVERIFY(r.out.find("never") == std::string::npos);
        QVERIFY2(took < std::chrono::seconds(10), "the run outlived its time limit");
    }

    void outputIsBounded() {
        SandboxSpec spec;
        spec.argv = {"/bin/sh", "-c", "head -c 1000000 /dev/zero; echo done >&2"};
        spec.maxOutputBytes = 1000;
        auto r = sandbox::run(spec, grants());
        QVERIFY(r.has_value());
        QCOMPARE(r->out.size(), std::size_t(1000));
        QVERIFY(r->outTruncated);
        QCOMPARE(r->exitCode, 0);  // the child was never blocked on a full pipe
        QCOMPARE(QString::fromStdString(r->err).trimmed(), QString("done"));
    }

    void inputReachesTheProcess() {
        SandboxSpec spec;
        spec.argv = {"cat"};
        auto r = sandbox::run(spec, grants(), "piped in");
        QVERIFY(r.has_value());
        QCOMPARE(QString::fromStdString(r->out), QString("piped in"));
    }

    void environmentIsOnlyWhatWasGiven() {
        qputenv("ATELIER_SANDBOX_LEAK", "leaked");
        SandboxSpec spec;
        spec.argv = {"/bin/sh", "-c", "env"};
        spec.env = {{"GIVEN", "yes"}};
        auto r = sandbox::run(spec, grants());
        QVERIFY(r.has_value());
        QVERIFY(r->out.find("GIVEN=yes") != std::string::npos);
        QVERIFY(r->out.find("leaked") == std::string::npos);
    }

    void commandLineCarriesTheLimits() {
        SandboxSpec spec;
        spec.argv = {"true"};
        spec.maxProcesses = 17;
        spec.maxAddressSpaceBytes = 123456789;
        auto argv = sandbox::commandLine(spec, grants());
        QVERIFY(argv);
        const auto prlimit = std::find(argv->begin(), argv->end(), "/usr/bin/prlimit");
        QVERIFY(prlimit != argv->end());
        QVERIFY(std::find(prlimit, argv->end(), "--nproc=17") != argv->end());
#if !defined(__SANITIZE_ADDRESS__)  // sanitizer builds set no address-space limit
        QVERIFY(std::find(prlimit, argv->end(), "--as=123456789") != argv->end());
#endif
        QCOMPARE(argv->back(), std::string("true"));
        spec.maxProcesses = 0;
        spec.maxAddressSpaceBytes = 0;
        argv = sandbox::commandLine(spec, grants());
        QVERIFY(argv && std::find(argv->begin(), argv->end(), "/usr/bin/prlimit") == argv->end());
    }

    void forkBombIsBounded() {
        // Counts the background children it manages to start; the limit stops it well short.
        const std::string counter =
            "i=0; while [ $i -lt 300 ]; do (sleep 3) & i=$((i+1)); done; echo started $i";
        SandboxSpec spec;
        spec.argv = {"/bin/sh", "-c", counter};
        spec.maxProcesses = 24;
        spec.timeLimit = std::chrono::seconds(10);
        auto counted = runLimited(spec);
        QVERIFY2(counted.out.find("started 300") == std::string::npos, counted.out.c_str());
        QVERIFY2(counted.err.find("fork") != std::string::npos, counted.err.c_str());
        // A real fork bomb: contained by the process limit, ended by the time limit.
        spec.argv = {"/bin/sh", "-c", "b() { b | b & }; b; sleep 30"};
        spec.timeLimit = std::chrono::seconds(2);
        const auto start = std::chrono::steady_clock::now();
        runLimited(spec);
        QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(15));
        // Without the limit the counter starts all 300 (so the limit is what stopped it).
        spec.argv = {"/bin/sh", "-c", counter};
        spec.maxProcesses = 0;
        spec.timeLimit = std::chrono::seconds(20);
        auto unlimited = runLimited(spec);
        QVERIFY2(unlimited.out.find("started 300") != std::string::npos, unlimited.err.c_str());
    }

    void addressSpaceLimitStopsARunawayAllocation() {
#if defined(__SANITIZE_ADDRESS__)
        QSKIP("AddressSanitizer build: sandboxed commands get no address-space limit (shadow memory)");
#endif
        // awk doubles a string to 512 MiB; under a 256 MiB address space it cannot.
        SandboxSpec spec;
        spec.argv = {"/usr/bin/awk", "BEGIN { s = \"a\"; while (length(s) < 536870912) s = s s; print \"grew\" }"};
        spec.maxAddressSpaceBytes = std::uint64_t(256) << 20;
        spec.timeLimit = std::chrono::seconds(20);
        auto r = runLimited(spec);
        QVERIFY(r.out.find("grew") == std::string::npos);
        QVERIFY(r.exitCode != 0);
        spec.argv = {"/usr/bin/awk", "BEGIN { s = \"a\"; while (length(s) < 16777216) s = s s; print \"grew\" }"};
        r = runLimited(spec);
        QCOMPARE(QString::fromStdString(r.out).trimmed(), QString("grew"));
    }

    void missingBwrapIsRefused() {
        QTemporaryDir empty;
        const QByteArray saved = qgetenv("PATH");
        qputenv("PATH", empty.path().toUtf8());
        SandboxSpec spec;
        spec.argv = {"/bin/true"};
        auto r = sandbox::run(spec, grants());
        auto p = SandboxProcess::start(spec, grants());
        auto avail = sandbox::available();
        qputenv("PATH", saved);
        QVERIFY(!r.has_value());
        QCOMPARE(int(r.error().code), int(ErrorCode::Denied));
        QVERIFY2(r.error().message.find("bwrap") != std::string::npos, r.error().message.c_str());
        QVERIFY(!p.has_value());
        QVERIFY(!avail.has_value());
    }

    void aBwrapThatCannotCreateNamespacesIsRefused() {
        // What bwrap says where unprivileged user namespaces are off.
        QTemporaryDir fake;
        const fs::path bwrap = fs::path(fake.path().toStdString()) / "bwrap";
        std::ofstream(bwrap) << "#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n";
        fs::permissions(bwrap, fs::perms::owner_all);
        const QByteArray saved = qgetenv("PATH");
        qputenv("PATH", fake.path().toUtf8());
        auto avail = sandbox::available();
        SandboxSpec spec;
        spec.argv = {"/bin/true"};
        auto r = sandbox::run(spec, grants());
        qputenv("PATH", saved);
        QVERIFY(!avail.has_value());
        QCOMPARE(int(avail.error().code), int(ErrorCode::Denied));
        QVERIFY2(avail.error().message.find("No permissions to create new namespace") != std::string::npos,
                 avail.error().message.c_str());
        QVERIFY(!r.has_value());
        QCOMPARE(int(r.error().code), int(ErrorCode::Denied));
    }

    void longLivedProcessTalksLineByLine() {
        SandboxSpec spec;
        spec.argv = {"/bin/sh", "-c", "while read line; do echo \"got $line\"; done"};
        auto p = SandboxProcess::start(spec, grants());
        QVERIFY(p.has_value());
        const auto deadline = SandboxProcess::Clock::now() + std::chrono::seconds(10);
        QVERIFY((*p)->write("one\ntwo\n", deadline).has_value());
        auto a = (*p)->readLine(deadline, 1024);
        auto b = (*p)->readLine(deadline, 1024);
        QVERIFY(a.has_value() && b.has_value());
        QCOMPARE(QString::fromStdString(*a), QString("got one"));
        QCOMPARE(QString::fromStdString(*b), QString("got two"));
        auto none = (*p)->readLine(SandboxProcess::Clock::now() + std::chrono::milliseconds(100), 1024);
        QVERIFY(!none.has_value());
        QCOMPARE(int(none.error().code), int(ErrorCode::Overflow));
        (*p)->closeInput();
        auto eof = (*p)->readLine(deadline, 1024);
        QVERIFY(!eof.has_value());
        QCOMPARE(int(eof.error().code), int(ErrorCode::NotFound));
    }
};

QTEST_APPLESS_MAIN(TestSandbox)
#include "test_sandbox.moc"
