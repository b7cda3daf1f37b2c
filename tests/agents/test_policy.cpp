// The policy denies by default and resolves `..`, symlinks, hard links and mount points before
// deciding; denied globs win over grants; a child's grants must lie within its parent's.
// Credential files (.git/config, .git-credentials, .netrc, registry and cloud tools' files) are
// denied by default, and a denied name is denied even as a symlink to a harmless file (#21).

#include <unistd.h>

#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>

#include "atelier/agents/policy.h"

using namespace atelier::agents;
namespace fs = std::filesystem;

class TestPolicy : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path m_root, m_grant, m_outside;

    static void write(const fs::path& p, const std::string& text) {
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
    }

private slots:
    void initTestCase() {
        QVERIFY(m_tmp.isValid());
        m_root = fs::path(m_tmp.path().toStdString());
        m_grant = m_root / "grant";
        m_outside = m_root / "outside";
        write(m_grant / "doc.txt", "inside");
        write(m_grant / "sub" / "deep.txt", "deep");
        write(m_outside / "secret.txt", "secret");
        write(m_outside / "plain.txt", "plain");
        write(m_grant / ".env", "TOKEN=1");
        write(m_grant / "keys" / "server.pem", "key");
        fs::create_directory_symlink(m_outside, m_grant / "link-out");
        fs::create_symlink(m_outside / "secret.txt", m_grant / "secret-link.txt");
        fs::create_symlink(m_grant / "doc.txt", m_grant / "inner-link.txt");
        fs::create_hard_link(m_outside / "secret.txt", m_grant / "hard.txt");
    }

    void denyByDefault() {
        Policy none({});
        QVERIFY(!none.checkPath(m_grant / "doc.txt", Access::Read).allowed);
    }

    void readInsideTheGrant() {
        Policy p({{m_grant, Access::Read}});
        QVERIFY(p.checkPath(m_grant / "doc.txt", Access::Read).allowed);
        QVERIFY(p.checkPath("sub/deep.txt", Access::Read, m_grant).allowed);
        QVERIFY(p.checkPath("inner-link.txt", Access::Read, m_grant).allowed);
        QVERIFY(!p.checkPath(m_grant / "doc.txt", Access::Write).allowed);
    }

    void escapesAreRefused() {
        Policy p({{m_grant, Access::Read}});
        const auto dotdot = p.checkPath("../outside/secret.txt", Access::Read, m_grant);
        QVERIFY(!dotdot.allowed);
        QVERIFY(dotdot.reason.find("outside every granted folder") != std::string::npos);
        QVERIFY(!p.checkPath("sub/../../outside/secret.txt", Access::Read, m_grant).allowed);
        QVERIFY(!p.checkPath(m_outside / "secret.txt", Access::Read, m_grant).allowed);
        QVERIFY(!p.checkPath("link-out/secret.txt", Access::Read, m_grant).allowed);
        QVERIFY(!p.checkPath("secret-link.txt", Access::Read, m_grant).allowed);
        QVERIFY(!p.checkPath("/etc/passwd", Access::Read, m_grant).allowed);
        QVERIFY(!p.checkPath("/proc/self/environ", Access::Read, m_grant).allowed);
        const auto hard = p.checkPath("hard.txt", Access::Read, m_grant);
        QVERIFY(!hard.allowed);
        QVERIFY(hard.reason.find("hard-linked") != std::string::npos);
    }

    void procIsDeniedEvenWhenGranted() {
        Policy p({{"/proc", Access::Read}});
        QVERIFY(!p.checkPath("/proc/self/status", Access::Read).allowed);
    }

    void deniedGlobsWinOverGrants() {
        Policy p({{m_grant, Access::Write}});
        QVERIFY(!p.checkPath(".env", Access::Read, m_grant).allowed);
        QVERIFY(!p.checkPath("keys/server.pem", Access::Read, m_grant).allowed);
        Policy data({{m_root, Access::Read}}, m_grant);
        QVERIFY(!data.checkPath(m_grant / "doc.txt", Access::Read).allowed);
        QVERIFY(data.checkPath(m_outside / "plain.txt", Access::Read).allowed);
    }

    void credentialFilesAreDeniedByDefault() {
        const fs::path c = m_root / "creds";
        const std::vector<std::string> denied = {
            ".git/config", ".git/modules/lib/config", ".git-credentials", ".config/git/credentials",
            ".netrc", "_netrc", ".npmrc", ".pypirc", ".cargo/credentials.toml", ".aws/credentials",
            ".config/gcloud/application_default_credentials.json", ".azure/accessTokens.json",
            ".docker/config.json", ".kube/config", ".config/gh/hosts.yml", "sub/project/.npmrc"};
        const std::vector<std::string> allowed = {".git/HEAD", ".git/objects/info/packs", "config",
                                                  "src/config", "npmrc.md", ".config/app.ini",
                                                  ".docker/daemon.json"};
        for (const auto& f : denied) write(c / f, "token");
        for (const auto& f : allowed) write(c / f, "fine");
        Policy p({{c, Access::Read}});
        for (const auto& f : denied) {
            const auto d = p.checkPath(f, Access::Read, c);
            QVERIFY2(!d.allowed, f.c_str());
            QVERIFY2(d.reason.find("denied pattern") != std::string::npos, d.reason.c_str());
        }
        for (const auto& f : allowed) QVERIFY2(p.checkPath(f, Access::Read, c).allowed, f.c_str());
    }

    void deniedNamesAreDeniedThroughSymlinks() {
        const fs::path c = m_root / "named";
        write(c / "harmless.txt", "fine");
        write(c / "public" / "notes.txt", "fine");
        fs::create_symlink("harmless.txt", c / ".env");
        fs::create_directory_symlink("public", c / ".aws");
        Policy p({{c, Access::Read}});
        QVERIFY(p.checkPath("harmless.txt", Access::Read, c).allowed);
        QVERIFY(p.checkPath("public/notes.txt", Access::Read, c).allowed);
        QVERIFY(!p.checkPath(".env", Access::Read, c).allowed);
        const auto aws = p.checkPath(".aws/notes.txt", Access::Read, c);
        QVERIFY(!aws.allowed);
        QVERIFY2(aws.reason.find(".aws/notes.txt") != std::string::npos, aws.reason.c_str());
        // A path that does not exist yet (git history) is judged as named.
        QVERIFY(!p.checkPath("gone/.aws/credentials", Access::Read, c).allowed);
    }

    void writeNeedsAReadWriteGrant() {
        Policy p({{m_grant, Access::Read}, {m_grant / "sub", Access::Write}});
        QVERIFY(p.checkPath(m_grant / "sub" / "new.txt", Access::Write).allowed);
        QVERIFY(!p.checkPath(m_grant / "new.txt", Access::Write).allowed);
    }

    void childGrantsMustBeWithinTheParents() {
        Policy parent({{m_grant, Access::Read}, {m_grant / "sub", Access::Write}});
        Policy okChild({{m_grant / "sub", Access::Write}});
        Policy wider({{m_root, Access::Read}});
        Policy writeMore({{m_grant, Access::Write}});
        std::string why;
        QVERIFY(okChild.isWithin(parent));
        QVERIFY(!wider.isWithin(parent, &why));
        QVERIFY(why.find("not within") != std::string::npos);
        QVERIFY(!writeMore.isWithin(parent));
        // A sibling whose name merely starts like the grant is not inside it.
        Policy sibling({{m_root / "grant-other", Access::Read}});
        QVERIFY(!sibling.isWithin(parent));
    }

    void globs() {
        QVERIFY(globMatch("**/.env", "/a/b/.env"));
        QVERIFY(!globMatch("**/.env", "/a/b/.envrc"));
        QVERIFY(globMatch("**/.ssh/**", "/home/u/.ssh/id_rsa"));
        QVERIFY(globMatch("/proc/**", "/proc/1/maps"));
        QVERIFY(!globMatch("/proc/**", "/procfs/x"));
    }
};

QTEST_APPLESS_MAIN(TestPolicy)
#include "test_policy.moc"
