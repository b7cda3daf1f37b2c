#include "common/data_dir.h"

#include <QCoreApplication>
#include <QStandardPaths>

namespace atelier::app {

std::filesystem::path resolveDataDir(const std::string& overrideDir) {
    std::filesystem::path dir;
    if (!overrideDir.empty()) {
        dir = overrideDir;
    } else {
        if (QCoreApplication::applicationName().isEmpty())
            QCoreApplication::setApplicationName(QStringLiteral("Atelier"));
        dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation).toStdString();
        if (dir.empty()) return {};
    }
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return {};
    return dir;
}

}  // namespace atelier::app
