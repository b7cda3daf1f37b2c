// ctest-labels: unit
// The git plugin loads as a library; git_log/show/diff/blame/file/grep return what the `git`
// command says about repositories built in the test (several commits with fixed dates, a
// rename, a Latin-1 and an invalid-UTF-8 message, a non-UTF-8 file name, a detached HEAD);
// results cite commit ids; empty repositories, bad revisions and policy refusals are clear
// errors. Attacks (#21): a `.git` symlink or gitdir file, a commondir file, alternates, an
// environment variable or a symlink among the objects that lead to another repository are
// refused, naming (and asking the policy about) the real path; files the policy denies are
// withheld from every revision's diff, and git_file/git_blame refuse them at any revision.

#include <sys/stat.h>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>

#include "atelier/agents/tool_registry.h"

using namespace atelier::agents;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
}

// Runs git in `dir` with a fixed identity and date; returns stdout (trimmed), or qFatal.
std::string git(const fs::path& dir, const QStringList& args, const QString& date = "2024-01-10T12:00:00+0000",
                const QString& author = "Alice Example") {
    QProcess p;
    p.setWorkingDirectory(QString::fromStdString(dir.string()));
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("GIT_AUTHOR_NAME", author);
    env.insert("GIT_AUTHOR_EMAIL", author.section(' ', 0, 0).toLower() + "@example.org");
    env.insert("GIT_COMMITTER_NAME", author);
    env.insert("GIT_COMMITTER_EMAIL", "ci@example.org");
    env.insert("GIT_AUTHOR_DATE", date);
    env.insert("GIT_COMMITTER_DATE", date);
    env.insert("GIT_CONFIG_NOSYSTEM", "1");
    env.insert("GIT_CONFIG_GLOBAL", "/dev/null");
    p.setProcessEnvironment(env);
    p.start("git", QStringList{"-c", "init.defaultBranch=main", "-c", "core.quotepath=off"} + args);
    if (!p.waitForFinished(30000) || p.exitCode() != 0)
        qFatal("git %s failed: %s", qPrintable(args.join(' ')), p.readAllStandardError().constData());
    return p.readAllStandardOutput().trimmed().toStdString();
}

// A ToolContext that remembers every path a tool asked the policy about (as the audit log would
// record it) and forwards to the real policy.
class RecordingContext final : public ToolContext {
public:
    explicit RecordingContext(const ToolContext& inner) : m_inner(inner) {}
    atelier::Result<fs::path> resolve(const std::string& path, Access access) const override {
        asked.push_back(path);
        return m_inner.resolve(path, access);
    }
    const fs::path& workspace() const override { return m_inner.workspace(); }
    bool askedAbout(const fs::path& p) const {
        for (const auto& a : asked)
            if (fs::path(a) == p) return true;
        return false;
    }
    mutable std::vector<std::string> asked;

private:
    const ToolContext& m_inner;
};

}  // namespace

class TestGitTools : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path m_ws, m_repo;
    ToolRegistry m_registry;
    std::unique_ptr<Policy> m_policy;
    std::unique_ptr<PolicyToolContext> m_ctx;
    std::vector<std::string> m_ids;  // commits c1..c6, oldest first, from `git rev-parse`

    atelier::Result<ToolResult> call(const std::string& tool, json args) {
        if (!args.contains("repo")) args["repo"] = "repo";
        return m_registry.call(tool, args, *m_ctx);
    }
    // Commits everything with `message` given as raw bytes (written to a file outside the
    // repository, so any encoding survives); `config` goes before the subcommand.
    void commit(const std::string& message, const QString& date, const QString& author,
                const QStringList& config = {}) {
        const fs::path msg = fs::path(m_tmp.path().toStdString()) / "message.txt";
        write(msg, message);
        git(m_repo, {"add", "-A"}, date, author);
        git(m_repo, config + QStringList{"commit", "-q", "-F", QString::fromStdString(msg.string())}, date, author);
        m_ids.push_back(git(m_repo, {"rev-parse", "HEAD"}));
    }

private slots:
    void initTestCase() {
        auto loaded = m_registry.loadPlugins(ATELIER_BINARY_DIR "/lib/plugins");
        QVERIFY2(loaded.has_value(), loaded ? "" : loaded.error().message.c_str());
        for (const char* n : {"git_log", "git_show", "git_diff", "git_blame", "git_file", "git_grep"})
            QVERIFY2(m_registry.find(n), n);
        m_ws = fs::path(m_tmp.path().toStdString()) / "ws";
        m_repo = m_ws / "repo";
        fs::create_directories(m_repo);
        git(m_repo, {"init", "-q"});
        write(m_repo / "README.md", "hello\nworld\n");
        write(m_repo / "src" / "main.c", "int main(void) {\n    return 0;\n}\n");
        commit("Initial commit", "2024-01-10T12:00:00+0000", "Alice Example");
        write(m_repo / "README.md", "hello\nworld, again\n");
        write(m_repo / "notes.txt", "first note\nsecond note\nthird note\n");
        commit("Update readme and add notes\n\nLonger body.", "2024-02-10T12:00:00+0000", "Bob Builder");
        fs::create_directories(m_repo / "docs");
        git(m_repo, {"mv", "notes.txt", "docs/notes.txt"});
        commit("Move notes into docs", "2024-03-10T12:00:00+0200", "Alice Example");
        write(m_repo / "src" / "main.c", "int main(void) {\n    return 1;\n}\n");
        commit("Caf\xe9 fix\n", "2024-04-10T12:00:00+0000", "Carol Writer",
               {"-c", "i18n.commitEncoding=ISO-8859-1"});
        // Invalid UTF-8 in a message without an encoding header. `git commit` would repair it
        // (as Latin-1), so the commit object is written directly.
        write(m_repo / std::string("data-\xff.txt"), "odd name\n");
        git(m_repo, {"add", "-A"});
        const std::string tree = git(m_repo, {"write-tree"});
        const fs::path raw = fs::path(m_tmp.path().toStdString()) / "commit.txt";
        write(raw, "tree " + tree + "\nparent " + m_ids.back() +
                       "\nauthor Carol Writer <carol@example.org> 1715342400 +0000"
                       "\ncommitter Carol Writer <carol@example.org> 1715342400 +0000\n\nBad \xff\xfe bytes\n");
        m_ids.push_back(git(m_repo, {"hash-object", "-t", "commit", "-w", QString::fromStdString(raw.string())}));
        git(m_repo, {"update-ref", "refs/heads/main", m_ids.back().c_str()});
        std::string many;
        for (int i = 1; i <= 150; ++i) many += "needle " + std::to_string(i) + "\n";
        write(m_repo / "many.txt", many);
        write(m_repo / ".env", "SECRET=needle\n");
        commit("Add many needles", "2024-06-10T12:00:00+0000", "Alice Example");
        fs::create_directories(m_ws / "empty");
        git(m_ws / "empty", {"init", "-q"});
        m_policy = std::make_unique<Policy>(std::vector<PathGrant>{{m_ws, Access::Read}});
        m_ctx = std::make_unique<PolicyToolContext>(*m_policy, m_ws);
    }

    void logListsCommitsNewestFirstWithIds() {
        auto r = call("git_log", {});
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        const auto& commits = r->data["commits"];
        QCOMPARE(commits.size(), m_ids.size());
        for (std::size_t i = 0; i < m_ids.size(); ++i) {
            QCOMPARE(commits[i]["id"].get<std::string>(), m_ids[m_ids.size() - 1 - i]);
            QCOMPARE(r->sources[i].commit, m_ids[m_ids.size() - 1 - i]);
            QCOMPARE(r->sources[i].kind, std::string("git"));
        }
        QCOMPARE(commits[5]["summary"].get<std::string>(), std::string("Initial commit"));
        QCOMPARE(commits[5]["date"].get<std::string>(), std::string("2024-01-10T12:00:00+00:00"));
        QCOMPARE(commits[3]["date"].get<std::string>(), std::string("2024-03-10T12:00:00+02:00"));
        QCOMPARE(commits[4]["author"].get<std::string>(), std::string("Bob Builder"));
    }

    void logFiltersAndPages() {
        auto ids = [](const ToolResult& r) {
            std::vector<std::string> out;
            for (const auto& c : r.data["commits"]) out.push_back(c["id"].get<std::string>());
            return out;
        };
        auto byPath = call("git_log", {{"path", "README.md"}});
        QVERIFY(byPath.has_value());
        QCOMPARE(ids(*byPath), (std::vector<std::string>{m_ids[1], m_ids[0]}));
        auto byAuthor = call("git_log", {{"author", "bob"}});
        QVERIFY(byAuthor.has_value());
        QCOMPARE(ids(*byAuthor), std::vector<std::string>{m_ids[1]});
        auto since = call("git_log", {{"since", "2024-04-01"}});
        QVERIFY(since.has_value());
        QCOMPARE(ids(*since), (std::vector<std::string>{m_ids[5], m_ids[4], m_ids[3]}));
        auto grep = call("git_log", {{"grep", "^move"}});
        QVERIFY(grep.has_value());
        QCOMPARE(ids(*grep), std::vector<std::string>{m_ids[2]});
        auto page = call("git_log", {{"max_count", 2}});
        QVERIFY(page.has_value() && page->truncated);
        QCOMPARE(ids(*page), (std::vector<std::string>{m_ids[5], m_ids[4]}));
        auto next = call("git_log", page->next);
        QVERIFY(next.has_value());
        QCOMPARE(ids(*next), (std::vector<std::string>{m_ids[3], m_ids[2]}));
        auto badDate = call("git_log", {{"since", "last tuesday"}});
        QVERIFY(!badDate.has_value());
    }

    void showGivesMessageFilesAndRenames() {
        auto r = call("git_show", {{"rev", m_ids[2]}});
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        QCOMPARE(r->data["id"].get<std::string>(), m_ids[2]);
        QCOMPARE(r->data["parents"][0].get<std::string>(), m_ids[1]);
        QCOMPARE(r->data["files"].size(), std::size_t(1));
        QCOMPARE(r->data["files"][0]["status"].get<std::string>(), std::string("renamed"));
        QCOMPARE(r->data["files"][0]["old_path"].get<std::string>(), std::string("notes.txt"));
        QCOMPARE(r->data["files"][0]["path"].get<std::string>(), std::string("docs/notes.txt"));
        QCOMPARE(r->sources.at(0).commit, m_ids[2]);
        auto first = call("git_show", {{"rev", m_ids[0]}});  // a root commit: all files added
        QVERIFY(first.has_value());
        QCOMPARE(first->data["files"].size(), std::size_t(2));
        QVERIFY(first->data["diff"].get<std::string>().find("+hello\n") != std::string::npos);
    }

    void nonUtf8MessagesAndPathsBecomeValidText() {
        auto latin1 = call("git_show", {{"rev", m_ids[3]}});
        QVERIFY(latin1.has_value());
        QCOMPARE(latin1->data["summary"].get<std::string>(), std::string("Caf\xc3\xa9 fix"));
        auto bad = call("git_show", {{"rev", m_ids[4]}});
        QVERIFY(bad.has_value());
        QCOMPARE(bad->data["summary"].get<std::string>(), std::string("Bad \xef\xbf\xbd\xef\xbf\xbd bytes"));
        bool oddName = false;
        for (const auto& f : bad->data["files"])
            oddName |= f["path"].get<std::string>() == "data-\xef\xbf\xbd.txt";
        QVERIFY(oddName);
        QVERIFY(!bad->toJson().dump().empty());  // strict UTF-8 dump does not throw
    }

    void diffBetweenRevisionsAndUnderAPath() {
        auto r = call("git_diff", {{"from", m_ids[0]}, {"to", m_ids[1]}});
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        const std::string diff = r->data["diff"].get<std::string>();
        QVERIFY(diff.find("-world\n") != std::string::npos);
        QVERIFY(diff.find("+world, again\n") != std::string::npos);
        QCOMPARE(r->data["files"].size(), std::size_t(2));
        QCOMPARE(r->sources.at(0).commit, m_ids[0]);
        QCOMPARE(r->sources.at(1).commit, m_ids[1]);
        auto sub = call("git_diff", {{"from", m_ids[0]}, {"to", m_ids[3]}, {"path", "src"}});
        QVERIFY(sub.has_value());
        QCOMPARE(sub->data["files"].size(), std::size_t(1));
        QCOMPARE(sub->data["files"][0]["path"].get<std::string>(), std::string("src/main.c"));
    }

    void blameNamesTheCommitOfEachLine() {
        auto r = call("git_blame", {{"path", "README.md"}});
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        QCOMPARE(r->data["lines"].size(), std::size_t(2));
        QCOMPARE(r->data["lines"][0]["commit"].get<std::string>(), m_ids[0]);
        QCOMPARE(r->data["lines"][1]["commit"].get<std::string>(), m_ids[1]);
        QCOMPARE(r->data["lines"][1]["text"].get<std::string>(), std::string("world, again"));
        QCOMPARE(r->sources.size(), std::size_t(2));
        QCOMPARE(r->sources[1].firstLine, 2);
        QCOMPARE(r->sources[1].commit, m_ids[1]);
        auto range = call("git_blame", {{"path", "src/main.c"}, {"start_line", 2}, {"end_line", 3}});
        QVERIFY(range.has_value());
        QCOMPARE(range->data["lines"].size(), std::size_t(2));
        QCOMPARE(range->data["lines"][0]["commit"].get<std::string>(), m_ids[3]);
        QCOMPARE(range->data["lines"][1]["commit"].get<std::string>(), m_ids[0]);
    }

    void fileAtARevisionWithLineRange() {
        auto old = call("git_file", {{"path", "README.md"}, {"rev", m_ids[0]}});
        QVERIFY(old.has_value());
        QCOMPARE(old->text, std::string("1\thello\n2\tworld\n"));
        QCOMPARE(old->sources.at(0).commit, m_ids[0]);
        auto range = call("git_file", {{"path", "many.txt"}, {"start_line", 10}, {"end_line", 11}});
        QVERIFY(range.has_value());
        QCOMPARE(range->text.substr(0, 22), std::string("10\tneedle 10\n11\tneedle"));
        QCOMPARE(range->sources.at(0).firstLine, 10);
        QCOMPARE(range->sources.at(0).lastLine, 11);
        auto gone = call("git_file", {{"path", "notes.txt"}});  // moved away at HEAD
        QVERIFY(!gone.has_value());
    }

    // git_grep is bounded like files_search: a pattern that backtracks catastrophically is an
    // error naming the file and line (not "no matches"), and the call's deadline stops it.
    void grepIsBoundedByTheMatchLimitAndTheDeadline() {
        const fs::path costly = m_ws / "costly";
        fs::create_directories(costly);
        git(costly, {"init", "-q"});
        write(costly / "aaa.txt", std::string(40, 'a') + "b\n");
        git(costly, {"add", "-A"});
        git(costly, {"-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "a"});
        const auto start = std::chrono::steady_clock::now();
        auto r = call("git_grep", {{"repo", "costly"}, {"pattern", "^(a|a)*$"}});
        QVERIFY(!r.has_value());
        QCOMPARE(int(r.error().code), int(atelier::ErrorCode::Overflow));
        QVERIFY2(r.error().message.find("aaa.txt:1") != std::string::npos, r.error().message.c_str());
        QVERIFY2(r.error().message.find("too costly") != std::string::npos, r.error().message.c_str());
        QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
        const PolicyToolContext expired(*m_policy, m_ws, std::chrono::steady_clock::now());
        auto late = m_registry.call("git_grep", {{"repo", "repo"}, {"pattern", "needle"}}, expired);
        QVERIFY(!late.has_value());
        QVERIFY2(late.error().message.find("deadline") != std::string::npos, late.error().message.c_str());
        fs::remove_all(costly);
    }

    void grepSearchesATreeAndPages() {
        auto r = call("git_grep", {{"pattern", "again"}});
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        QCOMPARE(r->data["hits"].size(), std::size_t(1));
        QCOMPARE(r->data["hits"][0]["path"].get<std::string>(), std::string("README.md"));
        QCOMPARE(r->data["hits"][0]["line"].get<int>(), 2);
        QCOMPARE(r->sources.at(0).commit, m_ids[5]);
        auto many = call("git_grep", {{"pattern", "needle \\d+"}});
        QVERIFY(many.has_value() && many->truncated);
        QCOMPARE(many->data["hits"].size(), std::size_t(100));
        auto rest = call("git_grep", many->next);
        QVERIFY(rest.has_value() && !rest->truncated);
        QCOMPARE(rest->data["hits"].size(), std::size_t(50));
        auto old = call("git_grep", {{"pattern", "needle"}, {"rev", m_ids[0]}});
        QVERIFY(old.has_value());
        QVERIFY(old->data["hits"].empty());
        auto secret = call("git_grep", {{"pattern", "SECRET"}});  // .env is policy-denied
        QVERIFY(secret.has_value());
        QVERIFY(secret->data["hits"].empty());
        auto env = call("git_file", {{"path", ".env"}});
        QVERIFY(!env.has_value());
        QCOMPARE(env.error().code, atelier::ErrorCode::Denied);
    }

    void detachedHeadIsFollowed() {
        git(m_repo, {"checkout", "-q", "--detach", m_ids[2].c_str()});
        auto r = call("git_log", {});
        git(m_repo, {"checkout", "-q", "main"});
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        QCOMPARE(r->data["commits"].size(), std::size_t(3));
        QCOMPARE(r->data["commits"][0]["id"].get<std::string>(), m_ids[2]);
    }

    // A repository outside the workspace whose content must never be printed.
    std::string makeOutsideRepo() {
        const fs::path outside = fs::path(m_tmp.path().toStdString()) / "outside";
        if (fs::exists(outside / ".git")) return git(outside, {"rev-parse", "HEAD"});
        fs::create_directories(outside);
        git(outside, {"init", "-q"});
        write(outside / "secret.txt", "OUTSIDE-SECRET\n");
        git(outside, {"add", "-A"});
        git(outside, {"commit", "-q", "-m", "Outside"});
        return git(outside, {"rev-parse", "HEAD"});
    }
    fs::path outsideGit() const {
        return fs::canonical(fs::path(m_tmp.path().toStdString()) / "outside" / ".git");
    }
    // Expects every git tool that reads content to refuse `repo`, naming `real` (and asking the
    // policy about it, so the audit log records it), and never printing the outside secret.
    void expectRefused(const std::string& repo, const fs::path& real, const std::string& rev = "HEAD") {
        for (const auto& [tool, args] : std::vector<std::pair<std::string, json>>{
                 {"git_show", {{"repo", repo}, {"rev", rev}}},
                 {"git_file", {{"repo", repo}, {"path", "secret.txt"}, {"rev", rev}}},
                 {"git_log", {{"repo", repo}, {"rev", rev}}},
                 {"git_grep", {{"repo", repo}, {"pattern", "SECRET"}, {"rev", rev}}}}) {
            RecordingContext recorder(*m_ctx);
            auto r = m_registry.call(tool, args, recorder);
            QVERIFY2(!r.has_value(), (tool + " on " + repo + " printed: " + (r ? r->text : "")).c_str());
            QCOMPARE(r.error().code, atelier::ErrorCode::Denied);
            QVERIFY2(r.error().message.find(real.string()) != std::string::npos, r.error().message.c_str());
            QVERIFY2(r.error().message.find("outside the grant") != std::string::npos, r.error().message.c_str());
            QVERIFY2(recorder.askedAbout(real), (tool + ": the policy was not asked about " + real.string()).c_str());
        }
    }

    void gitdirFilesAndGitSymlinksLeadingOutsideAreRefused() {
        const std::string id = makeOutsideRepo();
        write(m_ws / "gitfile" / ".git", "gitdir: " + outsideGit().string() + "\n");
        expectRefused("gitfile", outsideGit());
        write(m_ws / "gitrel" / ".git", "gitdir: ../../outside/.git\n");
        expectRefused("gitrel", outsideGit());
        fs::create_directories(m_ws / "gitlink");
        fs::create_directory_symlink(outsideGit(), m_ws / "gitlink" / ".git");
        expectRefused("gitlink", outsideGit());
        // A worktree's git folder whose commondir file names the outside repository.
        write(m_ws / "common" / ".git" / "HEAD", id + "\n");
        write(m_ws / "common" / ".git" / "commondir", outsideGit().string() + "\n");
        expectRefused("common", outsideGit());
        // A FIFO as .git would block libgit2's open for ever.
        fs::create_directories(m_ws / "fifo");
        QCOMPARE(::mkfifo((m_ws / "fifo" / ".git").c_str(), 0600), 0);
        auto fifo = call("git_log", {{"repo", "fifo"}});
        QVERIFY(!fifo.has_value());
        QVERIFY2(fifo.error().message.find("not a regular file or folder") != std::string::npos, fifo.error().message.c_str());
    }

    void alternatesAndObjectSymlinksLeadingOutsideAreRefused() {
        const std::string id = makeOutsideRepo();
        const fs::path objects = outsideGit() / "objects";
        auto stealingRepo = [&](const std::string& name) {
            fs::create_directories(m_ws / name);
            git(m_ws / name, {"init", "-q"});
            write(m_ws / name / ".git" / "refs" / "heads" / "stolen", id + "\n");
            return m_ws / name / ".git" / "objects";
        };
        write(stealingRepo("alt") / "info" / "alternates", objects.string() + "\n");
        expectRefused("alt", objects, "stolen");
        write(stealingRepo("altrel") / "info" / "alternates", "../../../../outside/.git/objects\n");
        expectRefused("altrel", objects, "stolen");
        // The whole object folder a symlink.
        const fs::path own = stealingRepo("objlink");
        fs::remove_all(own);
        fs::create_directory_symlink(objects, own);
        expectRefused("objlink", objects, "stolen");
        // Loose-object folders symlinked one by one.
        const fs::path loose = stealingRepo("loose");
        fs::path linked;
        for (const auto& e : fs::directory_iterator(objects)) {
            const std::string n = e.path().filename().string();
            if (n.size() != 2 || fs::exists(loose / n)) continue;
            fs::create_directory_symlink(e.path(), loose / n);
            if (n == id.substr(0, 2)) linked = e.path();
        }
        QVERIFY(!linked.empty());
        RecordingContext recorder(*m_ctx);
        auto r = m_registry.call("git_show", {{"repo", "loose"}, {"rev", "stolen"}}, recorder);
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, atelier::ErrorCode::Denied);
        QVERIFY2(r.error().message.find("object symlink") != std::string::npos, r.error().message.c_str());
        QVERIFY(r.error().message.find(objects.string()) != std::string::npos);
    }

    void environmentIndirectionsAreIgnored() {
        const std::string id = makeOutsideRepo();
        qputenv("GIT_ALTERNATE_OBJECT_DIRECTORIES", QByteArray::fromStdString((outsideGit() / "objects").string()));
        qputenv("GIT_DIR", QByteArray::fromStdString(outsideGit().string()));
        auto show = call("git_show", {{"rev", id}});
        auto log = call("git_log", {});
        qunsetenv("GIT_ALTERNATE_OBJECT_DIRECTORIES");
        qunsetenv("GIT_DIR");
        QVERIFY2(!show.has_value(), show ? show->text.c_str() : "");
        QVERIFY(show.error().message.find("OUTSIDE") == std::string::npos);
        QVERIFY(log.has_value());
        QCOMPARE(log->data["commits"].size(), m_ids.size());  // the workspace's own repository
    }

    void linksInsideTheGrantStillOpen() {
        git(m_repo, {"worktree", "add", "-q", "--detach", QString::fromStdString((m_ws / "wt").string()), m_ids[1].c_str()});
        auto wt = call("git_log", {{"repo", "wt"}});
        QVERIFY2(wt.has_value(), wt ? "" : wt.error().message.c_str());
        QCOMPARE(wt->data["commits"][0]["id"].get<std::string>(), m_ids[1]);
        git(m_ws, {"clone", "-q", "--shared", "repo", "shared"});  // alternates into ws/repo
        QVERIFY(fs::exists(m_ws / "shared" / ".git" / "objects" / "info" / "alternates"));
        auto shared = call("git_show", {{"repo", "shared"}, {"rev", m_ids[0]}});
        QVERIFY2(shared.has_value(), shared ? "" : shared.error().message.c_str());
    }

    void historyWithholdsDeniedFiles() {
        const fs::path leaky = m_ws / "leaky";
        fs::create_directories(leaky);
        git(leaky, {"init", "-q"});
        write(leaky / "README.md", "hello\n");
        write(leaky / ".env", "TOKEN=hunter2-env\n");
        write(leaky / "keys" / "deploy.pem", "-----BEGIN PRIVATE KEY-----\nhunter2-pem\n");
        write(leaky / ".aws" / "credentials", "aws_secret_access_key=hunter2-aws\n");
        write(leaky / ".npmrc", "//registry.npmjs.org/:_authToken=hunter2-npm\n");
        git(leaky, {"add", "-A"});
        git(leaky, {"commit", "-q", "-m", "Add config"});
        const std::string added = git(leaky, {"rev-parse", "HEAD"});
        git(leaky, {"rm", "-q", "-r", ".env", "keys", ".aws", ".npmrc"});
        write(leaky / "README.md", "hello again\n");
        git(leaky, {"commit", "-q", "-am", "Remove secrets"});
        const std::string removed = git(leaky, {"rev-parse", "HEAD"});
        // A work-tree symlink named like a denied folder, leading somewhere harmless, does not
        // make the history's `.aws/credentials` readable.
        fs::create_directories(leaky / "public");
        fs::create_directory_symlink("public", leaky / ".aws");

        auto noSecret = [](const atelier::Result<ToolResult>& r) {
            return r.has_value() && r->text.find("hunter2") == std::string::npos &&
                   r->toJson().dump().find("hunter2") == std::string::npos;
        };
        const std::vector<std::string> denied = {".aws/credentials", ".env", ".npmrc", "keys/deploy.pem"};
        auto withheld = [&](const ToolResult& r) {
            std::vector<std::string> out;
            for (const auto& f : r.data["files"])
                if (f.contains("withheld")) out.push_back(f["path"].get<std::string>());
            std::sort(out.begin(), out.end());
            return out;
        };
        for (const auto& [tool, args] : std::vector<std::pair<std::string, json>>{
                 {"git_show", {{"repo", "leaky"}, {"rev", "HEAD~1"}}},
                 {"git_show", {{"repo", "leaky"}, {"rev", removed}}},
                 {"git_diff", {{"repo", "leaky"}, {"from", added}, {"to", removed}}},
                 {"git_diff", {{"repo", "leaky"}, {"from", removed}, {"to", added}}}}) {
            auto r = call(tool, args);
            QVERIFY2(noSecret(r), (tool + " " + args.dump() + ": " + (r ? r->text : r.error().message)).c_str());
            QVERIFY2(withheld(*r) == denied, r->data["files"].dump().c_str());
            QVERIFY(r->text.find("[content withheld: policy:") != std::string::npos);
            QVERIFY(r->text.find(".env\t(content withheld)") != std::string::npos);
            QVERIFY(r->data["diff"].get<std::string>().find("hello") != std::string::npos);  // the rest is shown
        }
        auto under = call("git_diff", {{"repo", "leaky"}, {"from", removed}, {"to", added}, {"path", "keys"}});
        QVERIFY2(noSecret(under), under ? under->text.c_str() : under.error().message.c_str());
        QCOMPARE(under->data["files"].size(), std::size_t(1));
        QVERIFY(under->data["files"][0].contains("withheld"));
        for (const std::string& path : denied) {
            for (const char* tool : {"git_file", "git_blame"}) {
                auto r = call(tool, {{"repo", "leaky"}, {"path", path}, {"rev", added}});
                QVERIFY2(!r.has_value(), (std::string(tool) + " " + path + " printed: " + (r ? r->text : "")).c_str());
                QCOMPARE(r.error().code, atelier::ErrorCode::Denied);
            }
        }
        auto grep = call("git_grep", {{"repo", "leaky"}, {"pattern", "hunter2"}, {"rev", added}});
        QVERIFY(noSecret(grep));
        QVERIFY(grep->data["hits"].empty());
    }

    void cleanupTestCase() {
        // QTemporaryDir cannot name the non-UTF-8 file; std::filesystem can.
        std::error_code ec;
        fs::remove_all(m_ws, ec);
    }

    void emptyReposBadRevisionsAndPolicyAreClearErrors() {
        auto empty = call("git_log", {{"repo", "empty"}});
        QVERIFY(!empty.has_value());
        QVERIFY2(empty.error().message.find("no commits") != std::string::npos, empty.error().message.c_str());
        auto badRev = call("git_show", {{"rev", "no-such-branch"}});
        QVERIFY(!badRev.has_value());
        QVERIFY(badRev.error().message.find("no-such-branch") != std::string::npos);
        auto notRepo = call("git_log", {{"repo", "repo/src"}});
        QVERIFY(!notRepo.has_value());
        auto outside = call("git_log", {{"repo", ".."}});
        QVERIFY(!outside.has_value());
        QCOMPARE(outside.error().code, atelier::ErrorCode::Denied);
        auto badPattern = call("git_grep", {{"pattern", "("}});
        QVERIFY(!badPattern.has_value());
    }
};

QTEST_APPLESS_MAIN(TestGitTools)
#include "test_git_tools.moc"
