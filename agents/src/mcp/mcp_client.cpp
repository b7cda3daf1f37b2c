// The JSON-RPC side of an MCP stdio server (see mcp_client.h).

#include "atelier/agents/mcp_client.h"

#include <algorithm>

#include "atelier/agents/tool_schema.h"
#include "atelier/base/log.h"

namespace atelier::agents {
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = SandboxProcess::Clock;

namespace {

constexpr const char* kProtocolVersion = "2025-06-18";
constexpr std::size_t kStderrInError = 600;

std::string msText(std::chrono::milliseconds ms) {
    return ms.count() % 1000 == 0 ? std::to_string(ms.count() / 1000) + " s" : std::to_string(ms.count()) + " ms";
}

std::string excerpt(const std::string& line) {
    std::string e = line.substr(0, 80);
    for (char& c : e)
        if (static_cast<unsigned char>(c) < 0x20) c = '?';
    return e + (line.size() > 80 ? "..." : "");
}

}  // namespace

SandboxSpec mcpSandboxSpec(const McpServerConfig& config, const Policy& policy) {
    SandboxSpec spec;
    spec.argv.push_back(config.command);
    spec.argv.insert(spec.argv.end(), config.args.begin(), config.args.end());
    spec.env = config.env;
    if (config.limits.processes) spec.maxProcesses = *config.limits.processes;
    if (config.limits.addressSpaceBytes) spec.maxAddressSpaceBytes = *config.limits.addressSpaceBytes;
    // The configured program is trusted by whoever wrote the configuration: it is visible
    // read-only even outside the grants (an interpreter's script must be in a grant).
    if (fs::path(config.command).is_absolute()) spec.extraReadOnly.push_back(config.command);
    for (const auto& g : policy.grants()) {
        std::error_code ec;
        if (fs::is_directory(g.root, ec)) {
            spec.workdir = fs::canonical(g.root, ec);
            break;
        }
    }
    return spec;
}

Result<std::shared_ptr<McpClient>> McpClient::start(const McpServerConfig& config, const Policy& policy,
                                                    const McpOptions& options) {
    auto process = SandboxProcess::start(mcpSandboxSpec(config, policy), policy);
    if (!process)
        return unexpected(process.error().code,
                          "MCP server '" + config.name + "': " + process.error().message);
    std::shared_ptr<McpClient> client(new McpClient(config.name, policy.grants(), options));
    client->m_process = std::move(*process);
    if (auto ok = client->initialize(); !ok) return unexpected(ok.error());
    logger("agents")->info("MCP server '{}' started ({})", config.name,
                           client->serverInfo().value("name", std::string("unnamed")));
    return client;
}

McpClient::~McpClient() = default;  // the SandboxProcess closes stdin, then kills and reaps

json McpClient::serverInfo() const {
    std::lock_guard lock(m_mutex);
    return m_serverInfo;
}

Result<void> McpClient::initialize() {
    std::lock_guard lock(m_mutex);
    json params = {{"protocolVersion", kProtocolVersion},
                   {"capabilities", json::object()},
                   {"clientInfo", {{"name", "atelier"}, {"version", "1"}}}};
    auto result = request("initialize", std::move(params), m_options.startTimeout);
    if (!result) return unexpected(result.error());
    if (!result->is_object() || !result->contains("protocolVersion") || !(*result)["protocolVersion"].is_string())
        return unexpected(broken("answered initialize without a protocolVersion"));
    m_serverInfo = result->value("serverInfo", json::object());
    return send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
                Clock::now() + m_options.startTimeout);
}

Result<std::vector<McpToolInfo>> McpClient::listTools() {
    std::lock_guard lock(m_mutex);
    std::vector<McpToolInfo> tools;
    json cursor;
    for (int page = 0; page < m_options.maxToolPages; ++page) {
        json params = json::object();
        if (!cursor.is_null()) params["cursor"] = cursor;
        auto result = request("tools/list", std::move(params), m_options.startTimeout);
        if (!result) return unexpected(result.error());
        if (!result->is_object() || !result->contains("tools") || !(*result)["tools"].is_array())
            return unexpected(broken("answered tools/list without a \"tools\" array"));
        for (const auto& t : (*result)["tools"]) {
            if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) {
                logger("agents")->warn("MCP server '{}': skipping a tool without a name", m_name);
                continue;
            }
            if (static_cast<int>(tools.size()) >= m_options.maxTools)
                return unexpected(Error::badInput("MCP server '" + m_name + "' offers more than " +
                                                  std::to_string(m_options.maxTools) + " tools"));
            McpToolInfo info;
            info.name = t["name"].get<std::string>();
            if (t.contains("description") && t["description"].is_string())
                info.description = t["description"].get<std::string>();
            info.inputSchema = t.value("inputSchema", json{{"type", "object"}});
            tools.push_back(std::move(info));
        }
        cursor = result->value("nextCursor", json());
        if (!cursor.is_string() || cursor.get<std::string>().empty()) return tools;
    }
    return unexpected(Error::badInput("MCP server '" + m_name + "' has more than " +
                                      std::to_string(m_options.maxToolPages) + " pages of tools"));
}

Result<json> McpClient::callTool(const std::string& tool, const json& arguments, Clock::time_point deadline) {
    std::lock_guard lock(m_mutex);
    auto timeout = m_options.callTimeout;
    if (deadline != Clock::time_point::max()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        timeout = std::clamp(left, std::chrono::milliseconds(1), timeout);
    }
    auto result = request("tools/call", {{"name", tool}, {"arguments", arguments}}, timeout);
    if (!result) return result;
    if (!result->is_object()) return unexpected(broken("answered tools/call with a non-object result"));
    return result;
}

Result<json> McpClient::request(const std::string& method, json params, std::chrono::milliseconds timeout) {
    if (!m_failure.empty()) return unexpected(Error::io(m_failure));
    const auto deadline = Clock::now() + timeout;
    const std::int64_t id = m_nextId++;
    json message = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
    if (auto sent = send(message, deadline); !sent) return unexpected(sent.error());
    auto answer = awaitResponse(id, method, deadline);
    if (!answer && answer.error().code == ErrorCode::Overflow && m_failure.empty()) {
        // Timed out: tell the server to stop, and ignore the answer if it comes later.
        (void)send({{"jsonrpc", "2.0"}, {"method", "notifications/cancelled"},
                    {"params", {{"requestId", id}, {"reason", "timed out"}}}},
                   Clock::now() + std::chrono::seconds(1));
        return unexpected(ErrorCode::Overflow,
                          "MCP server '" + m_name + "' did not answer " + method + " within " + msText(timeout));
    }
    return answer;
}

Result<void> McpClient::send(const json& message, Clock::time_point deadline) {
    if (!m_failure.empty()) return unexpected(Error::io(m_failure));
    auto ok = m_process->write(message.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", deadline);
    if (!ok) return unexpected(broken("stopped reading its input (" + ok.error().message + ")"));
    return {};
}

Result<json> McpClient::awaitResponse(std::int64_t id, const std::string& method, Clock::time_point deadline) {
    for (;;) {
        auto line = m_process->readLine(deadline, m_options.maxMessageBytes);
        if (!line) {
            if (line.error().code == ErrorCode::NotFound) return unexpected(broken("closed its output during " + method));
            if (line.error().code == ErrorCode::BadInput)
                return unexpected(broken("sent a message over " + std::to_string(m_options.maxMessageBytes) + " bytes"));
            return unexpected(line.error());  // the deadline: request() cancels
        }
        if (line->find_first_not_of(" \t") == std::string::npos) continue;
        json msg = parseJsonBounded(*line, m_options.maxMessageDepth);
        if (msg.is_discarded() || !msg.is_object() || msg.value("jsonrpc", json()) != "2.0")
            return unexpected(broken("sent malformed JSON-RPC (or nested over " +
                                     std::to_string(m_options.maxMessageDepth) + " levels) during " + method +
                                     ": '" + excerpt(*line) + "'"));
        if (msg.contains("method")) {
            // A request or notification from the server. Answer pings; refuse other requests
            // (sampling, roots, elicitation are not offered); ignore notifications.
            if (msg.contains("id")) {
                json reply = {{"jsonrpc", "2.0"}, {"id", msg["id"]}};
                if (msg["method"] == "ping") reply["result"] = json::object();
                else reply["error"] = {{"code", -32601}, {"message", "not supported by this client"}};
                if (auto ok = send(reply, deadline); !ok) return unexpected(ok.error());
            }
            continue;
        }
        if (!msg.contains("id") || msg["id"] != json(id)) continue;  // a late answer to a cancelled call
        if (msg.contains("error")) {
            const json& err = msg["error"];
            const bool plain = err.is_object() && err.contains("message") && err["message"].is_string();
            const std::string text = plain ? err["message"].get<std::string>() : err.dump();
            return unexpected(Error::badInput("MCP server '" + m_name + "' refused " + method + ": " + text));
        }
        if (!msg.contains("result")) return unexpected(broken("answered " + method + " with neither result nor error"));
        return msg["result"];
    }
}

Error McpClient::broken(const std::string& what) {
    // Let an exiting server finish so that its status is its own, not our SIGKILL.
    std::string status = m_process->exitDescription(std::chrono::milliseconds(300));
    m_process->kill();
    if (status.empty()) status = "was stopped";
    std::string tail = m_process->stderrTail();
    if (tail.size() > kStderrInError) tail = "..." + tail.substr(tail.size() - kStderrInError);
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
    // One line: the error goes to a log line, a CLI message and a tool result.
    for (std::size_t at = tail.find_first_of("\r\n"); at != std::string::npos; at = tail.find_first_of("\r\n", at)) {
        const std::size_t end = tail.find_first_not_of("\r\n", at);
        tail.replace(at, (end == std::string::npos ? tail.size() : end) - at, " | ");
    }
    m_failure = "MCP server '" + m_name + "' " + what + " and " + status;
    if (!tail.empty()) m_failure += "; its stderr ends: " + tail;
    logger("agents")->error("{}", m_failure);
    return Error::io(m_failure);
}

}  // namespace atelier::agents
