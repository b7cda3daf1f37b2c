// Reading the `mcpServers` configuration (see mcp_config.h).

#include "atelier/agents/mcp_config.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace atelier::agents {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool validServerName(const std::string& name) {
    if (name.empty() || name.size() > 64 || name.find("__") != std::string::npos) return false;
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-';
    });
}

// `limits.<key>` of `entry`: an integer in [min, max]; unset when absent.
Result<std::optional<std::uint64_t>> limitField(const json& limits, const std::string& key, std::uint64_t min,
                                                std::uint64_t max, const std::string& at) {
    if (!limits.contains(key)) return std::optional<std::uint64_t>();
    const json& v = limits[key];
    const std::string where = at + ".limits." + key;
    if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<std::int64_t>() < 0))
        return unexpected(Error::badInput(where + " must be a whole number from " + std::to_string(min) + " to " +
                                          std::to_string(max)));
    const std::uint64_t n = v.get<std::uint64_t>();
    if (n < min || n > max)
        return unexpected(Error::badInput(where + " is " + std::to_string(n) + "; it must be from " +
                                          std::to_string(min) + " to " + std::to_string(max) +
                                          " (a limit cannot be switched off)"));
    return std::optional<std::uint64_t>(n);
}

Result<McpServerLimits> parseLimits(const json& entry, const std::string& at) {
    McpServerLimits limits;
    if (!entry.contains("limits")) return limits;
    const json& l = entry["limits"];
    if (!l.is_object())
        return unexpected(
            Error::badInput(at + ".limits must be an object: {\"processes\": N, \"address_space_mb\": N}"));
    for (const auto& [key, value] : l.items()) {
        (void)value;
        if (key != "processes" && key != "address_space_mb")
            return unexpected(Error::badInput(at + ".limits." + key +
                                              " is not a limit (known: processes, address_space_mb)"));
    }
    auto processes = limitField(l, "processes", 1, kMcpMaxProcessesLimit, at);
    if (!processes) return unexpected(processes.error());
    limits.processes = *processes;
    auto mb = limitField(l, "address_space_mb", kMcpMinAddressSpaceMb, kMcpMaxAddressSpaceMb, at);
    if (!mb) return unexpected(mb.error());
    if (*mb) limits.addressSpaceBytes = **mb << 20;
    return limits;
}

// "timeouts": {"start_s": N, "call_s": N}, seconds from 0.001 to 86400.
Result<void> parseTimeouts(const json& entry, const std::string& at, McpServerConfig& server) {
    if (!entry.contains("timeouts")) return {};
    const json& t = entry["timeouts"];
    if (!t.is_object())
        return unexpected(Error::badInput(at + ".timeouts must be an object: {\"start_s\": N, \"call_s\": N}"));
    for (const auto& [key, value] : t.items()) {
        if (key != "start_s" && key != "call_s")
            return unexpected(Error::badInput(at + ".timeouts." + key + " is not a timeout (known: start_s, call_s)"));
        if (!value.is_number() || value.get<double>() < 0.001 || value.get<double>() > 86400.0)
            return unexpected(Error::badInput(at + ".timeouts." + key + " must be a number of seconds from 0.001 to 86400"));
        const auto ms = std::chrono::milliseconds(std::max<std::int64_t>(1, std::int64_t(value.get<double>() * 1000.0 + 0.5)));
        (key == "start_s" ? server.startTimeout : server.callTimeout) = ms;
    }
    return {};
}

// "sampling": true | false | {"max_tokens": N}.
Result<void> parseSampling(const json& entry, const std::string& at, McpServerConfig& server) {
    if (!entry.contains("sampling")) return {};
    const json& s = entry["sampling"];
    const std::string range = "1 to " + std::to_string(kMcpSamplingMaxTokensLimit);
    if (s.is_boolean()) {
        server.sampling = s.get<bool>();
        return {};
    }
    if (!s.is_object())
        return unexpected(Error::badInput(at + ".sampling must be true, false or {\"max_tokens\": N}"));
    for (const auto& [key, value] : s.items()) {
        if (key != "max_tokens")
            return unexpected(Error::badInput(at + ".sampling." + key + " is not a sampling setting (known: max_tokens)"));
        if (!value.is_number_integer() || value.get<std::int64_t>() < 1 ||
            value.get<std::int64_t>() > kMcpSamplingMaxTokensLimit)
            return unexpected(Error::badInput(at + ".sampling.max_tokens must be a whole number from " + range));
        server.samplingMaxTokens = int(value.get<std::int64_t>());
    }
    server.sampling = true;
    return {};
}

Result<McpServerConfig> parseServer(const std::string& name, const json& entry, const std::string& at,
                                    const fs::path& baseDir) {
    if (!validServerName(name))
        return unexpected(Error::badInput(at + ": server names use letters, digits, '_' and '-' (no '__'), "
                                               "at most 64 characters"));
    if (!entry.is_object()) return unexpected(Error::badInput(at + " must be an object"));
    if (entry.contains("url") || (entry.contains("type") && entry["type"] != "stdio"))
        return unexpected(Error::badInput(at + ": only stdio servers (\"command\") are supported; "
                                               "tools never get network access"));
    McpServerConfig server;
    server.name = name;
    const json& command = entry.value("command", json());
    if (!command.is_string() || command.get<std::string>().empty())
        return unexpected(Error::badInput(at + ".command must be a non-empty string"));
    server.command = command.get<std::string>();
    if (server.command.find('/') != std::string::npos && fs::path(server.command).is_relative() &&
        !baseDir.empty())
        server.command = (baseDir / server.command).lexically_normal().string();
    if (entry.contains("args")) {
        if (!entry["args"].is_array()) return unexpected(Error::badInput(at + ".args must be an array"));
        for (std::size_t i = 0; i < entry["args"].size(); ++i) {
            if (!entry["args"][i].is_string())
                return unexpected(Error::badInput(at + ".args[" + std::to_string(i) + "] must be a string"));
            server.args.push_back(entry["args"][i].get<std::string>());
        }
    }
    if (entry.contains("env")) {
        if (!entry["env"].is_object()) return unexpected(Error::badInput(at + ".env must be an object"));
        for (const auto& [key, value] : entry["env"].items()) {
            if (!value.is_string() || key.empty() || key.find('=') != std::string::npos)
                return unexpected(Error::badInput(at + ".env." + key + " must be a string"));
            server.env.emplace_back(key, value.get<std::string>());
        }
    }
    auto limits = parseLimits(entry, at);
    if (!limits) return unexpected(limits.error());
    server.limits = *limits;
    if (entry.contains("network")) {
        if (!entry["network"].is_boolean()) return unexpected(Error::badInput(at + ".network must be true or false"));
        server.network = entry["network"].get<bool>();
    }
    if (entry.contains("state")) {
        const json& st = entry["state"];
        if (st.is_boolean()) {
            server.state = st.get<bool>();
        } else if (st.is_string() && !st.get<std::string>().empty()) {
            server.state = true;
            server.statePath = st.get<std::string>();
            if (server.statePath.is_relative() && !baseDir.empty())
                server.statePath = (baseDir / server.statePath).lexically_normal();
            if (server.statePath.is_relative())
                return unexpected(Error::badInput(at + ".state must be an absolute folder (or true)"));
        } else {
            return unexpected(Error::badInput(at + ".state must be true, false or a folder"));
        }
    }
    if (auto t = parseTimeouts(entry, at, server); !t) return unexpected(t.error());
    if (auto t = parseSampling(entry, at, server); !t) return unexpected(t.error());
    return server;
}

}  // namespace

Result<std::vector<McpServerConfig>> parseMcpConfig(const std::string& text, const std::string& origin,
                                                    const fs::path& baseDir) {
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        return unexpected(Error::badInput(origin + ": not valid JSON (byte " + std::to_string(e.byte) +
                                          "): " + e.what()));
    }
    if (!doc.is_object() || !doc.contains("mcpServers") || !doc["mcpServers"].is_object())
        return unexpected(Error::badInput(origin + ": expected an object with an \"mcpServers\" object"));
    std::vector<McpServerConfig> servers;
    for (const auto& [name, entry] : doc["mcpServers"].items()) {
        const std::string at = origin + ": mcpServers." + name;
        if (entry.is_object() && entry.contains("disabled") && entry["disabled"] == true) continue;
        auto server = parseServer(name, entry, at, baseDir);
        if (!server) return unexpected(server.error());
        servers.push_back(std::move(*server));
    }
    std::sort(servers.begin(), servers.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return servers;
}

Result<std::vector<McpServerConfig>> readMcpConfig(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return unexpected(Error::notFound("cannot open MCP configuration " + file.string()));
    std::ostringstream text;
    text << in.rdbuf();
    std::error_code ec;
    const fs::path dir = fs::absolute(file, ec).parent_path();
    return parseMcpConfig(text.str(), file.string(), dir);
}

}  // namespace atelier::agents
