#include "common/data_dir.h"

#include <cstdio>

#include <QCoreApplication>
#include <QStandardPaths>

namespace atelier::app {
namespace {

// Before #19 the folder was Qt's AppDataLocation with the organization and the application
// both named "Atelier": <data home>/Atelier/Atelier. Its entries move up into <data home>/Atelier
// one by one; an entry whose name is taken there stays where it is (nothing is overwritten), and
// the old folder goes only once it is empty.
void migrateDoubledFolder(const std::filesystem::path& dir) {
    const std::filesystem::path old = dir / "Atelier";
    std::error_code ec;
    if (!std::filesystem::is_directory(old, ec)) return;
    for (const auto& entry : std::filesystem::directory_iterator(old, ec)) {
        const std::filesystem::path to = dir / entry.path().filename();
        if (std::filesystem::exists(to, ec) || ec) continue;
        std::filesystem::rename(entry.path(), to, ec);  // same file system: a move, not a copy
    }
    if (std::filesystem::is_empty(old, ec) && !ec) {
        std::filesystem::remove(old, ec);
        return;
    }
    std::fprintf(stderr, "atelier: %s was not wholly moved into %s: names there are taken already\n",
                 old.string().c_str(), dir.string().c_str());
}

}  // namespace

std::filesystem::path defaultDataDir() {
    const QString home = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    if (home.isEmpty()) return {};
    return std::filesystem::path(home.toStdString()) / "Atelier";
}

std::filesystem::path resolveDataDir(const std::string& overrideDir) {
    std::filesystem::path dir;
    if (!overrideDir.empty()) {
        dir = overrideDir;
    } else {
        dir = defaultDataDir();
        if (dir.empty()) return {};
    }
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return {};
    if (overrideDir.empty()) migrateDoubledFolder(dir);
    return dir;
}

}  // namespace atelier::app
