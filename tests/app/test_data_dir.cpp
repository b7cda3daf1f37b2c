// ctest-labels: unit
// ctest-libs: atelier_app_common
// The per-user data folder of the window and atelier-cli (#19): "Atelier" in the data home
// ($XDG_DATA_HOME, else ~/.local/share), not the doubled Atelier/Atelier that Qt's
// AppDataLocation gave with organization and application both named "Atelier". A doubled folder
// left by an earlier version is moved up entry by entry, never overwriting what is there.

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include "common/data_dir.h"

using atelier::app::resolveDataDir;

namespace {
bool write(const QString& path, const QByteArray& data) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(data) == data.size();
}
QByteArray read(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
QString str(const std::filesystem::path& p) { return QString::fromStdString(p.string()); }
}  // namespace

class TestDataDir : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        // As both programs name themselves (app/gui/main.cpp, app/cli/main.cpp).
        QCoreApplication::setOrganizationName(QStringLiteral("Atelier"));
        QCoreApplication::setApplicationName(QStringLiteral("Atelier"));
    }

    void theFolderIsAtelierInTheDataHome() {
        QTemporaryDir home;
        qputenv("XDG_DATA_HOME", home.path().toUtf8());
        QCOMPARE(str(resolveDataDir({})), home.filePath(QStringLiteral("Atelier")));
        QVERIFY(QFileInfo(home.filePath(QStringLiteral("Atelier"))).isDir());
        QVERIFY(!QFileInfo::exists(home.filePath(QStringLiteral("Atelier/Atelier"))));
        // Without XDG_DATA_HOME: ~/.local/share/Atelier.
        QTemporaryDir userHome;
        const QByteArray savedHome = qgetenv("HOME");
        qunsetenv("XDG_DATA_HOME");
        qputenv("HOME", userHome.path().toUtf8());
        const QString dir = str(resolveDataDir({}));
        qputenv("HOME", savedHome);
        QCOMPARE(dir, userHome.filePath(QStringLiteral(".local/share/Atelier")));
    }

    void aDoubledFolderMovesUp() {
        QTemporaryDir home;
        qputenv("XDG_DATA_HOME", home.path().toUtf8());
        const QString old = home.filePath(QStringLiteral("Atelier/Atelier"));
        QVERIFY(write(old + QStringLiteral("/atelier.db"), "the sessions"));
        QVERIFY(write(old + QStringLiteral("/kvcache/a.kv"), "a checkpoint"));
        QVERIFY(write(old + QStringLiteral("/teams/mine.md"), "my team"));
        const QString dir = str(resolveDataDir({}));
        QCOMPARE(dir, home.filePath(QStringLiteral("Atelier")));
        QCOMPARE(read(dir + QStringLiteral("/atelier.db")), QByteArray("the sessions"));
        QCOMPARE(read(dir + QStringLiteral("/kvcache/a.kv")), QByteArray("a checkpoint"));
        QCOMPARE(read(dir + QStringLiteral("/teams/mine.md")), QByteArray("my team"));
        QVERIFY(!QFileInfo::exists(old));
        // Once moved, a second start finds nothing to move and changes nothing.
        QCOMPARE(str(resolveDataDir({})), dir);
        QCOMPARE(read(dir + QStringLiteral("/atelier.db")), QByteArray("the sessions"));
    }

    void nothingIsOverwritten() {
        QTemporaryDir home;
        qputenv("XDG_DATA_HOME", home.path().toUtf8());
        const QString dir = home.filePath(QStringLiteral("Atelier"));
        const QString old = dir + QStringLiteral("/Atelier");
        QVERIFY(write(dir + QStringLiteral("/atelier.db"), "new sessions"));
        QVERIFY(write(old + QStringLiteral("/atelier.db"), "old sessions"));
        QVERIFY(write(old + QStringLiteral("/logs/atelier.log"), "old log"));
        QCOMPARE(str(resolveDataDir({})), dir);
        QCOMPARE(read(dir + QStringLiteral("/atelier.db")), QByteArray("new sessions"));
        QCOMPARE(read(old + QStringLiteral("/atelier.db")), QByteArray("old sessions"));  // kept
        QCOMPARE(read(dir + QStringLiteral("/logs/atelier.log")), QByteArray("old log"));
        QVERIFY(!QFileInfo::exists(old + QStringLiteral("/logs")));
    }

    void aGivenFolderIsUsedAsIs() {
        QTemporaryDir home, given;
        qputenv("XDG_DATA_HOME", home.path().toUtf8());
        QVERIFY(write(given.filePath(QStringLiteral("Atelier/atelier.db")), "elsewhere"));
        QCOMPARE(str(resolveDataDir(given.path().toStdString())), given.path());
        QCOMPARE(read(given.filePath(QStringLiteral("Atelier/atelier.db"))), QByteArray("elsewhere"));
        QVERIFY(!QFileInfo::exists(given.filePath(QStringLiteral("atelier.db"))));
    }
};

QTEST_GUILESS_MAIN(TestDataDir)
#include "test_data_dir.moc"
