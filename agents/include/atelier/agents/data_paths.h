#pragma once
// Where Atelier keeps its files inside the data folder (ARCHITECTURE.md "Files on the user's
// machine"). Thread-safe: plain value type.

#include <filesystem>

namespace atelier::agents {

struct DataPaths {
    std::filesystem::path root;  // the data folder

    std::filesystem::path sessionsDb() const { return root / "atelier.db"; }
    std::filesystem::path auditDb() const { return root / "audit.db"; }  // see audit_log.h
    std::filesystem::path kvCacheDir() const { return root / "kvcache"; }
    std::filesystem::path kvCacheDb() const { return kvCacheDir() / "checkpoints.db"; }
    std::filesystem::path logsDir() const { return root / "logs"; }
};

}  // namespace atelier::agents
