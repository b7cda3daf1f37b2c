#include "atelier/base/log.h"

#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace atelier {

std::shared_ptr<spdlog::logger> logger(const std::string& name) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    if (auto existing = spdlog::get(name)) return existing;
    // Inherit the sinks of the default logger when app/ installed one; else stderr.
    auto def = spdlog::default_logger();
    std::shared_ptr<spdlog::logger> created;
    if (def && !def->sinks().empty() && def->name() == "atelier") {
        created = std::make_shared<spdlog::logger>(name, def->sinks().begin(), def->sinks().end());
        created->set_level(def->level());
    } else {
        created = std::make_shared<spdlog::logger>(
            name, std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
        created->set_level(spdlog::level::warn);
    }
    spdlog::register_logger(created);
    return created;
}

}  // namespace atelier
