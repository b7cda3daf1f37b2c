// ctest-labels: unit
// The git tools agree with the `git` command (#20 item 7). One repository is generated with
// authors different from committers (and author dates from committer dates), multi-line
// messages, a rename with an edit, a branch merged back, and commits on both branches with the
// same timestamp; then:
// - git_log lists the commits `git log` lists, in its order, with the author, author date and
//   committer it prints; under a path it simplifies history as `git log -- PATH`; its grep
//   anchors '^'/'$' at every message line as `git log -i --grep`;
// - git_blame attributes every line as `git blame --line-porcelain` does (commit, original path
//   and line, boundary), in the repository and in shallow clones (`git clone --depth N`);
// - git_diff gives `git diff`'s files and hunks between revisions, for the working tree
//   (`git diff`, `git diff REV`) and for the index (`git diff --cached`), withholding files the
//   policy denies;
// - a blob missing from the repository (deleted, or never fetched by a partial clone) makes
//   git_blame fail naming it, never answer with some lines misattributed.

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "atelier/agents/tool_registry.h"

using namespace atelier::agents;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
}

struct Who {
    QString author = "Alice Author", authorDate = "2024-01-10T12:00:00+0100";
    QString committer = "Casey Committer", committerDate = "2024-01-12T08:30:00-0500";
};

// Runs git in `dir` as `who`; returns stdout untrimmed, or qFatal.
std::string git(const fs::path& dir, const QStringList& args, const Who& who = {}) {
    QProcess p;
    p.setWorkingDirectory(QString::fromStdString(dir.string()));
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("GIT_AUTHOR_NAME", who.author);
    env.insert("GIT_AUTHOR_EMAIL", who.author.section(' ', 0, 0).toLower() + "@example.org");
    env.insert("GIT_AUTHOR_DATE", who.authorDate);
    env.insert("GIT_COMMITTER_NAME", who.committer);
    env.insert("GIT_COMMITTER_EMAIL", who.committer.section(' ', 0, 0).toLower() + "@example.org");
    env.insert("GIT_COMMITTER_DATE", who.committerDate);
    env.insert("GIT_CONFIG_NOSYSTEM", "1");
    env.insert("GIT_CONFIG_GLOBAL", "/dev/null");
    p.setProcessEnvironment(env);
    p.start("git", QStringList{"-c", "init.defaultBranch=main", "-c", "core.quotepath=off",
                               "-c", "merge.conflictstyle=merge"} + args);
    if (!p.waitForFinished(30000) || p.exitCode() != 0)
        qFatal("git %s failed: %s", qPrintable(args.join(' ')), p.readAllStandardError().constData());
    return p.readAllStandardOutput().toStdString();
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// The hunks of a patch: its @@ lines and the lines under them, without file headers.
std::vector<std::string> hunks(const std::string& patch) {
    std::vector<std::string> out;
    bool inHunk = false;
    for (const auto& line : lines(patch)) {
        if (line.starts_with("diff --git")) inHunk = false;
        if (line.starts_with("@@")) inHunk = true;
        if (inHunk) out.push_back(line);
    }
    return out;
}

std::string numbered(const std::string& prefix, int from, int to) {
    std::string out;
    for (int i = from; i <= to; ++i) out += prefix + " " + std::to_string(i) + "\n";
    return out;
}

// `git blame --line-porcelain` as one record per line.
struct PorcelainLine {
    std::string commit, origPath;
    int origLine = 0;
    bool boundary = false;
    bool operator==(const PorcelainLine&) const = default;
};

std::vector<PorcelainLine> porcelain(const std::string& text) {
    std::vector<PorcelainLine> out;
    PorcelainLine cur;
    bool header = true;
    for (const auto& line : lines(text)) {
        if (header) {
            std::istringstream in(line);
            in >> cur.commit >> cur.origLine;
            cur.boundary = false;
            header = false;
        } else if (line.starts_with("\t")) {
            out.push_back(cur);
            header = true;
        } else if (line == "boundary") {
            cur.boundary = true;
        } else if (line.starts_with("filename ")) {
            cur.origPath = line.substr(9);
        }
    }
    return out;
}

}  // namespace

class TestGitAgreement : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path m_ws, m_repo;
    ToolRegistry m_registry;
    std::unique_ptr<Policy> m_policy;
    std::unique_ptr<PolicyToolContext> m_ctx;

    atelier::Result<ToolResult> call(const std::string& tool, json args, const std::string& repo = "agree") {
        if (!args.contains("repo")) args["repo"] = repo;
        return m_registry.call(tool, args, *m_ctx);
    }
    void commit(const std::string& message, const Who& who) {
        write(fs::path(m_tmp.path().toStdString()) / "msg.txt", message);
        git(m_repo, {"add", "-A"}, who);
        git(m_repo, {"commit", "-q", "-F", m_tmp.filePath("msg.txt")}, who);
    }
    static Who at(const QString& author, const QString& authorDate, const QString& committerDate) {
        return {author, authorDate, "Casey Committer", committerDate};
    }

    // Every line of `path` at `rev` in `repo`, as git_blame and `git blame` attribute it.
    void compareBlame(const std::string& repo, const std::string& path, const std::string& rev = "HEAD") {
        const fs::path dir = m_ws / repo;
        const auto want = porcelain(git(dir, {"blame", "--line-porcelain", rev.c_str(), "--", path.c_str()}));
        auto r = call("git_blame", {{"path", path}, {"rev", rev}}, repo);
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        std::vector<PorcelainLine> got;
        for (const auto& l : r->data["lines"])
            got.push_back({l["commit"].get<std::string>(), l.value("orig_path", path), l.value("orig_line", 0),
                           l.value("boundary", false)});
        QCOMPARE(got.size(), want.size());
        for (std::size_t i = 0; i < want.size(); ++i) {
            const std::string where = repo + ":" + path + " line " + std::to_string(i + 1) + ": tool " +
                                      got[i].commit.substr(0, 8) + " " + got[i].origPath + ":" +
                                      std::to_string(got[i].origLine) + (got[i].boundary ? " ^" : "") + ", git " +
                                      want[i].commit.substr(0, 8) + " " + want[i].origPath + ":" +
                                      std::to_string(want[i].origLine) + (want[i].boundary ? " ^" : "");
            QVERIFY2(got[i] == want[i], where.c_str());
        }
        // The author and author date of each blamed commit, as `git log` prints them.
        std::map<std::string, std::vector<std::string>> known;
        for (const auto& l : r->data["lines"]) {
            auto& info = known[l["commit"].get<std::string>()];
            if (info.empty()) info = lines(git(dir, {"show", "-s", "--format=%an%n%aI", l["commit"].get<std::string>().c_str()}));
            QCOMPARE(l["author"].get<std::string>(), info.at(0));
            QCOMPARE(l.value("date", std::string()), info.at(1));
        }
    }

    void compareLog(const std::string& repo, const json& args, const QStringList& gitArgs) {
        auto r = call("git_log", args, repo);
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        std::vector<std::string> got;
        for (const auto& c : r->data["commits"])
            got.push_back(c["id"].get<std::string>() + " " + c["author"].get<std::string>() + " <" +
                          c["email"].get<std::string>() + "> " + c["date"].get<std::string>() + " " +
                          c.value("committer", std::string()) + " " + c.value("committer_date", std::string()));
        const auto want = lines(git(m_ws / repo, QStringList{"log", "--format=%H %an <%ae> %aI %cn %cI"} + gitArgs));
        QVERIFY2(got == want, (args.dump() + "\ntool:\n" + json(got).dump(1) + "\ngit:\n" + json(want).dump(1)).c_str());
    }

    void compareDiff(const json& args, const QStringList& gitArgs) {
        auto r = call("git_diff", args);
        const QStringList paths = args.contains("path")
                                      ? QStringList{"--", QString::fromStdString(args["path"].get<std::string>())}
                                      : QStringList{"--", ".", ":!.env"};
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        QVERIFY(!r->truncated);
        const auto want = hunks(git(m_repo, QStringList{"diff"} + gitArgs + paths));
        std::vector<std::string> files;
        for (const auto& f : r->data["files"]) {
            if (f["path"] == ".env") continue;
            const std::string s = f["status"].get<std::string>();
            files.push_back(std::string(1, char(std::toupper(s[0]))) + "\t" +
                            (f.contains("old_path") ? f["old_path"].get<std::string>() + "\t" : "") +
                            f["path"].get<std::string>());
        }
        std::vector<std::string> wantFiles;
        for (const auto& l : lines(git(m_repo, QStringList{"diff", "--name-status"} + gitArgs + paths)))
            wantFiles.push_back(l[0] == 'R' ? "R" + l.substr(l.find('\t')) : l);
        QVERIFY2(files == wantFiles, (args.dump() + "\ntool: " + json(files).dump() + "\ngit:  " + json(wantFiles).dump()).c_str());
        const auto got = hunks(r->data["diff"].get<std::string>());
        QVERIFY(!want.empty());
        QVERIFY2(got == want, (args.dump() + "\ntool:\n" + r->data["diff"].get<std::string>()).c_str());
    }

private slots:
    void initTestCase() {
        auto loaded = m_registry.loadPlugins(ATELIER_BINARY_DIR "/lib/plugins");
        QVERIFY2(loaded.has_value(), loaded ? "" : loaded.error().message.c_str());
        m_ws = fs::path(m_tmp.path().toStdString()) / "ws";
        m_repo = m_ws / "agree";
        fs::create_directories(m_repo);
        git(m_repo, {"init", "-q"});
        write(m_repo / "lib.txt", numbered("lib", 1, 20));
        write(m_repo / "app.txt", numbered("app", 1, 10));
        write(m_repo / "docs.txt", "docs\n");
        write(m_repo / ".env", "TOKEN=hunter2-old\n");
        write(m_repo / "code.c", "int a(void)\n{\n    return 1;\n}\n");
        write(m_repo / "slide.txt", "1\n2\na\n\nb\n3\n4\n");
        commit("Initial import\n", at("Alice Author", "2024-01-10T12:00:00+0100", "2024-01-12T08:30:00-0500"));
        std::string app = numbered("app", 1, 10);
        app.replace(app.find("app 2\napp 3"), 11, "APP 2\nAPP 3");
        write(m_repo / "app.txt", app);
        write(m_repo / "code.c", "int a(void)\n{\n    return 1;\n}\n\nint b(void)\n{\n    return 2;\n}\n");
        commit("Tweak app\n\nFixes: the startup order\nSee-also: docs\n",
               at("Bob Builder", "2024-02-01T10:00:00+0000", "2024-02-02T10:00:00+0000"));
        git(m_repo, {"checkout", "-q", "-b", "side"});
        fs::create_directories(m_repo / "core");
        git(m_repo, {"mv", "lib.txt", "core/lib.txt"});
        std::string lib = numbered("lib", 1, 20);
        lib.replace(lib.find("lib 5\n"), 6, "LIB 5 moved\n");
        write(m_repo / "core" / "lib.txt", lib);
        commit("Move lib into core\n\nfix: the layout\n", at("Carol Writer", "2024-03-01T09:00:00+0200", "2024-03-05T12:00:00+0000"));
        app.replace(app.find("app 9\n"), 6, "side 9\n");
        write(m_repo / "app.txt", app);
        commit("Side edit\n", at("Carol Writer", "2024-03-06T09:00:00+0000", "2024-03-06T12:00:00+0000"));
        git(m_repo, {"checkout", "-q", "main"});
        lib = numbered("lib", 1, 20);
        lib.replace(lib.find("lib 15\n"), 7, "main 15\n");
        write(m_repo / "lib.txt", lib);
        // The same committer timestamp as "Move lib into core": `git log` breaks the tie.
        commit("Main edit of lib\n", at("Dan Dev", "2024-03-02T09:00:00+0000", "2024-03-05T12:00:00+0000"));
        write(m_repo / "app.txt", "top\n" + app.substr(0, app.find("side 9\n")) + "app 9\napp 10\n");
        commit("Main edit of app\n\nA body line\nfix: later\n", at("Dan Dev", "2024-03-06T08:00:00+0000", "2024-03-06T12:00:00+0000"));
        git(m_repo, {"merge", "-q", "--no-ff", "-m", "Merge branch 'side'", "side"},
            at("Erin Merger", "2024-03-07T12:00:00+0000", "2024-03-07T12:00:00+0000"));
        QVERIFY(fs::exists(m_repo / "core" / "lib.txt"));
        lib = git(m_repo, {"show", "HEAD:core/lib.txt"});
        lib.replace(0, 6, "LIB 1 after merge\n");
        write(m_repo / "core" / "lib.txt", lib);
        app = git(m_repo, {"show", "HEAD:app.txt"}) + "app 11\n";
        write(m_repo / "app.txt", app);
        write(m_repo / "code.c", "int a(void)\n{\n    return 1;\n}\n\nint c(void)\n{\n    return 3;\n}\n\nint b(void)\n{\n    return 2;\n}\n");
        // An insertion whose place only the indent heuristic decides (git's t4061).
        write(m_repo / "slide.txt", "1\n2\na\n\nb\na\n\nb\n3\n4\n");
        commit("After the merge\n\nLine two\n", at("Alice Author", "2024-04-01T12:00:00-0700", "2024-04-02T12:00:00+0000"));
        m_policy = std::make_unique<Policy>(std::vector<PathGrant>{{m_ws, Access::Read}});
        m_ctx = std::make_unique<PolicyToolContext>(*m_policy, m_ws);
    }

    void logMatchesGitLogOrderAuthorsAndDates() {
        compareLog("agree", {}, {});
        compareLog("agree", {{"rev", "side"}}, {"side"});
        compareLog("agree", {{"path", "app.txt"}}, {"--", "app.txt"});
        compareLog("agree", {{"path", "core/lib.txt"}}, {"--", "core/lib.txt"});
        compareLog("agree", {{"path", "lib.txt"}}, {"--", "lib.txt"});
        compareLog("agree", {{"path", "core"}}, {"--", "core"});
    }

    void logGrepAnchorsAtEachMessageLine() {
        compareLog("agree", {{"grep", "^fix"}}, {"-i", "--grep=^fix"});
        QCOMPARE(call("git_log", {{"grep", "^fix"}})->data["commits"].size(), std::size_t(3));
        compareLog("agree", {{"grep", "order$"}}, {"-i", "--grep=order$"});
        compareLog("agree", {{"grep", "^line two$"}}, {"-i", "--grep=^line two$"});
        compareLog("agree", {{"grep", "^side"}}, {"-i", "--grep=^side"});
        auto costly = call("git_log", {{"grep", "^(a+)+$"}});  // bounded: an answer, not a hang
        QVERIFY(costly.has_value());
    }

    void showPrintsTheAuthorDateAndTheCommitter() {
        auto r = call("git_show", {{"rev", "main~2"}});
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        const auto want = lines(git(m_repo, {"show", "-s", "--format=%an <%ae>%n%aI%n%cn <%ce>%n%cI", "main~2"}));
        QVERIFY2(r->text.find("\nAuthor: " + want[0] + "\nDate:   " + want[1] + "\n") != std::string::npos, r->text.c_str());
        QVERIFY2(r->text.find("\nCommit: " + want[2] + "\nCommitDate: " + want[3] + "\n") != std::string::npos, r->text.c_str());
        QCOMPARE(r->data["date"].get<std::string>(), want[1]);
        QCOMPARE(r->data.value("committer_date", std::string()), want[3]);
    }

    void blameMatchesGitBlame() {
        for (const char* path : {"app.txt", "core/lib.txt", "code.c", "docs.txt", "slide.txt"}) compareBlame("agree", path);
        compareBlame("agree", "lib.txt", "main~2");
        compareBlame("agree", "app.txt", "side");
    }

    void blameInShallowClonesMatchesGitBlame() {
        const std::string url = "file://" + m_repo.string();
        for (const char* depth : {"1", "2", "3"}) {
            const std::string name = std::string("shallow") + depth;
            git(m_ws, {"clone", "-q", "--depth", depth, url.c_str(), name.c_str()});
            QVERIFY(fs::exists(m_ws / name / ".git" / "shallow"));
            for (const char* path : {"app.txt", "core/lib.txt", "code.c"}) compareBlame(name, path);
            compareLog(name, {}, {});
            compareLog(name, {{"path", "app.txt"}}, {"--", "app.txt"});
        }
        // The boundary of a shallow clone shows as `git show` shows it: no parents, every file added.
        auto show = call("git_show", {}, "shallow1");
        QVERIFY2(show.has_value(), show ? "" : show.error().message.c_str());
        QVERIFY(show->data["parents"].empty());
        QVERIFY(show->data.value("shallow_boundary", false));
        std::vector<std::string> files;
        for (const auto& f : show->data["files"]) files.push_back(f["status"].get<std::string>() + " " + f["path"].get<std::string>());
        std::vector<std::string> want;
        for (const auto& l : lines(git(m_ws / "shallow1", {"show", "--format=", "--name-status", "HEAD"})))
            want.push_back(std::string(l[0] == 'A' ? "added" : "?") + " " + l.substr(2));
        QCOMPARE(files, want);
    }

    void aMissingBlobIsAnErrorNamingIt() {
        // A copy with one old blob deleted: `git blame` itself fails here.
        git(m_ws, {"clone", "-q", "--no-hardlinks", m_repo.string().c_str(), "broken"});
        const std::string blob = lines(git(m_ws / "broken", {"rev-parse", "main~2:app.txt"})).at(0);
        const fs::path loose = m_ws / "broken" / ".git" / "objects" / blob.substr(0, 2) / blob.substr(2);
        QVERIFY2(fs::exists(loose), loose.c_str());
        fs::permissions(loose, fs::perms::owner_write, fs::perm_options::add);
        fs::remove(loose);
        auto r = call("git_blame", {{"path", "app.txt"}}, "broken");
        QVERIFY2(!r.has_value(), r ? r->text.c_str() : "");
        QVERIFY2(r.error().message.find(blob) != std::string::npos, r.error().message.c_str());
        QVERIFY2(r.error().message.find("missing") != std::string::npos, r.error().message.c_str());
        auto log = call("git_log", {}, "broken");  // commits and trees are all there
        QVERIFY(log.has_value());
        // A partial clone: blobs of old revisions were never fetched.
        git(m_repo, {"config", "uploadpack.allowFilter", "true"});
        const std::string url = "file://" + m_repo.string();
        git(m_ws, {"clone", "-q", "--filter=blob:none", url.c_str(), "partial"});
        for (const char* path : {"app.txt", "core/lib.txt"}) {
            auto p = call("git_blame", {{"path", path}}, "partial");
            QVERIFY2(!p.has_value(), p ? p->text.c_str() : "");
            QVERIFY2(p.error().message.find("partial clone") != std::string::npos, p.error().message.c_str());
            QCOMPARE(p.error().code, atelier::ErrorCode::NotFound);
        }
    }

    void diffBetweenRevisionsMatchesGitDiff() {
        compareDiff({{"from", "main~2"}, {"to", "main"}}, {"main~2", "main"});
        compareDiff({{"from", "main~4"}, {"to", "side"}}, {"-M", "main~4", "side"});
        compareDiff({{"from", "main~1"}, {"to", "main"}, {"path", "code.c"}}, {"main~1", "main"});
        compareDiff({{"from", "main~1"}, {"to", "main"}, {"path", "slide.txt"}}, {"main~1", "main"});
    }

    void diffOfTheWorkingTreeAndIndexMatchesGitDiff() {
        std::string app = git(m_repo, {"show", "HEAD:app.txt"});
        app.replace(app.find("app 4\n"), 6, "worktree 4\n");
        write(m_repo / "app.txt", app + "unstaged\n");
        std::string lib = git(m_repo, {"show", "HEAD:core/lib.txt"});
        lib.replace(lib.find("lib 10\n"), 7, "staged 10\n");
        write(m_repo / "core" / "lib.txt", lib);
        git(m_repo, {"add", "core/lib.txt"});
        git(m_repo, {"mv", "docs.txt", "notes.txt"});
        write(m_repo / ".env", "TOKEN=hunter2-new\n");  // denied by the policy's defaults
        write(m_repo / "code.c", "int a(void)\n{\n    return 10;\n}\n");
        write(m_repo / "untracked.txt", "git diff does not show me\n");
        compareDiff({{"worktree", true}}, {});
        compareDiff({{"worktree", true}, {"from", "HEAD~1"}}, {"HEAD~1"});
        compareDiff({{"staged", true}}, {"--cached"});
        compareDiff({{"staged", true}, {"from", "main~3"}}, {"--cached", "main~3"});
        compareDiff({{"worktree", true}, {"path", "app.txt"}}, {});
        for (const json& args : {json{{"worktree", true}}, json{{"worktree", true}, {"from", "main~5"}}}) {
            auto r = call("git_diff", args);
            QVERIFY(r.has_value());
            QVERIFY2(r->toJson().dump().find("hunter2") == std::string::npos, r->text.c_str());
            bool withheld = false;
            for (const auto& f : r->data["files"]) withheld |= f["path"] == ".env" && f.contains("withheld");
            QVERIFY2(withheld, r->data["files"].dump().c_str());
            QVERIFY(r->text.find("untracked.txt") == std::string::npos);
        }
        git(m_repo, {"add", ".env"});
        auto staged = call("git_diff", {{"staged", true}});
        QVERIFY(staged.has_value());
        QVERIFY(staged->toJson().dump().find("hunter2") == std::string::npos);
        auto both = call("git_diff", {{"staged", true}, {"worktree", true}});
        QVERIFY(!both.has_value());
        auto noFrom = call("git_diff", json::object());
        QVERIFY(!noFrom.has_value());
        QVERIFY2(noFrom.error().message.find("from") != std::string::npos, noFrom.error().message.c_str());
    }

    void worktreeDiffRefusesAWorkTreeOutsideTheRepositoryFolder() {
        git(m_ws, {"clone", "-q", m_repo.string().c_str(), "elsewhere"});
        const fs::path outside = fs::path(m_tmp.path().toStdString()) / "outside-tree";
        fs::create_directories(outside);
        git(m_ws / "elsewhere", {"config", "core.worktree", outside.string().c_str()});
        auto r = call("git_diff", {{"worktree", true}}, "elsewhere");
        QVERIFY2(!r.has_value(), r ? r->text.c_str() : "");
        QCOMPARE(r.error().code, atelier::ErrorCode::Denied);
        QVERIFY2(r.error().message.find("core.worktree") != std::string::npos, r.error().message.c_str());
    }
};

QTEST_APPLESS_MAIN(TestGitAgreement)
#include "test_git_agreement.moc"
