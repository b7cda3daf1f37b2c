#include "common/logging.h"

#include <memory>
#include <vector>

#include <QString>
#include <QtGlobal>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace atelier::app {
namespace {

void forwardQtMessage(QtMsgType type, const QMessageLogContext& context, const QString& msg) {
    auto log = spdlog::get("qt");
    if (!log) return;
    const std::string text = msg.toStdString();
    const char* category = context.category ? context.category : "default";
    switch (type) {
    case QtDebugMsg: log->debug("[{}] {}", category, text); break;
    case QtInfoMsg: log->info("[{}] {}", category, text); break;
    case QtWarningMsg: log->warn("[{}] {}", category, text); break;
    case QtCriticalMsg:
    case QtFatalMsg: log->error("[{}] {}", category, text); break;
    }
}

}  // namespace

bool parseLogLevel(const std::string& text, spdlog::level::level_enum& out) {
    if (text == "trace") out = spdlog::level::trace;
    else if (text == "debug") out = spdlog::level::debug;
    else if (text == "info") out = spdlog::level::info;
    else if (text == "warn") out = spdlog::level::warn;
    else if (text == "error") out = spdlog::level::err;
    else return false;
    return true;
}

bool setupLogging(const LoggingOptions& options) {
    std::vector<spdlog::sink_ptr> sinks;
    if (options.colorStderr)
        sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    else
        sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    sinks.back()->set_level(options.level);
    bool fileOk = true;
    std::string fileError;
    if (!options.dataDir.empty()) {
        try {
            const auto logDir = options.dataDir / "logs";
            std::filesystem::create_directories(logDir);
            auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
                (logDir / options.fileName).string(), 5 * 1024 * 1024, 3);
            // The file keeps info and above even when stderr is quieter.
            file->set_level(std::min(options.level, spdlog::level::info));
            sinks.push_back(std::move(file));
        } catch (const std::exception& e) {
            fileOk = false;
            fileError = e.what();
        }
    }

    spdlog::drop_all();
    auto root = std::make_shared<spdlog::logger>("atelier", sinks.begin(), sinks.end());
    root->set_level(std::min(options.level, spdlog::level::info));
    root->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%n] %v");
    spdlog::set_default_logger(root);
    for (const char* name : {"app", "engine", "kernels", "kernels.cuda", "store", "agents",
                             "agents.files", "agents.pdf", "agents.git", "ui", "qt", "server"}) {
        auto l = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
        l->set_level(std::min(options.level, spdlog::level::info));
        l->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%n] %v");
        spdlog::register_logger(l);
    }
    spdlog::flush_on(spdlog::level::warn);
    qInstallMessageHandler(forwardQtMessage);
    if (!fileOk) spdlog::get("app")->warn("cannot open the log file: {}", fileError);
    return fileOk;
}

}  // namespace atelier::app
