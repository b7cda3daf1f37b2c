// ctest-labels: unit
// MappedFile, the one mmap wrapper: the mapping holds exactly the file's bytes and survives a
// move; an empty file maps to nothing; a missing file is NotFound, and a folder or a FIFO is
// refused as BadInput at once (opening a FIFO never waits for a writer); errors name the path.

#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include <sys/stat.h>

#include <QTemporaryDir>
#include <QtTest>

#include "atelier/base/mapped_file.h"

using namespace atelier;
using namespace atelier::base;

class TestMappedFile : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::filesystem::path file(const char* name) const {
        return std::filesystem::path(m_dir.path().toStdString()) / name;
    }
    std::string write(const char* name, const std::string& bytes) const {
        std::ofstream out(file(name), std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), std::streamsize(bytes.size()));
        return file(name).string();
    }

private slots:
    void mapsExactlyTheFilesBytes() {
        std::mt19937 rng(5);
        std::string bytes(100000, '\0');
        for (char& c : bytes) c = char(rng());
        const std::string path = write("data.bin", bytes);
        auto mapped = MappedFile::open(path);
        QVERIFY2(mapped, mapped ? "" : mapped.error().message.c_str());
        QCOMPARE(mapped->path(), path);
        QCOMPARE(mapped->bytes().size(), bytes.size());
        QVERIFY(std::memcmp(mapped->bytes().data(), bytes.data(), bytes.size()) == 0);

        MappedFile moved = std::move(*mapped);
        QCOMPARE(moved.bytes().size(), bytes.size());
        QVERIFY(std::memcmp(moved.bytes().data(), bytes.data(), bytes.size()) == 0);
        QVERIFY(mapped->bytes().empty());
    }

    void anEmptyFileMapsToNothing() {
        auto mapped = MappedFile::open(write("empty.bin", ""));
        QVERIFY(mapped);
        QVERIFY(mapped->bytes().empty());
    }

    void aMissingFileIsNotFoundNamingIt() {
        auto mapped = MappedFile::open(file("absent.bin"));
        QVERIFY(!mapped);
        QCOMPARE(mapped.error().code, ErrorCode::NotFound);
        QVERIFY(mapped.error().message.find("absent.bin") != std::string::npos);
    }

    void aFolderOrAFifoIsRefusedWithoutWaiting() {
        std::filesystem::create_directory(file("folder"));
        auto folder = MappedFile::open(file("folder"));
        QVERIFY(!folder);
        QCOMPARE(folder.error().code, ErrorCode::BadInput);
        QVERIFY(folder.error().message.find("folder") != std::string::npos);

        QCOMPARE(::mkfifo(file("pipe").c_str(), 0600), 0);
        auto fifo = MappedFile::open(file("pipe"));  // would block here if open() waited
        QVERIFY(!fifo);
        QCOMPARE(fifo.error().code, ErrorCode::BadInput);
        QVERIFY(fifo.error().message.find("pipe") != std::string::npos);
    }
};

QTEST_APPLESS_MAIN(TestMappedFile)
#include "test_mapped_file.moc"
