// The JSON-RPC side of an MCP stdio server (see mcp_client.h).

#include "atelier/agents/mcp_client.h"

#include <algorithm>
#include <initializer_list>

#include "atelier/agents/tool_progress.h"
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

// A server that failed while starting: what the sandbox hid from it, first, then the reason.
std::string startHint(const McpClient& client, const std::string& reason) {
    std::string hidden;
    const auto mentions = [&reason](std::initializer_list<const char*> words) {
        return std::any_of(words.begin(), words.end(), [&](const char* w) { return reason.find(w) != std::string::npos; });
    };
    if (!client.network() && mentions({"EAI_AGAIN", "ENOTFOUND", "ENETUNREACH", "ECONNREFUSED", "getaddrinfo",
                                       "Network is unreachable", "Temporary failure in name resolution"}))
        hidden = "it tried to reach the network, which the sandbox hides (allow it with \"network\": true)";
    else if (mentions({"EROFS", "Read-only file system"}))
        hidden = "it tried to write to a read-only folder (give it a writable folder with \"state\": true)";
    else if (mentions({"Cannot find module", "ENOENT", "No such file", "not found", "Cannot access",
                       "not accessible", "EACCES", "Permission denied"}))
        hidden = "a file or folder it needs is not visible in the sandbox";
    else if (mentions({"did not answer initialize"}))
        hidden = "it did not start in time (raise \"timeouts\": {\"start_s\": N} if it is slow to start)";
    std::string sees = "the system folders";
    for (const auto& p : client.readOnlyTrees()) sees += ", " + p.string();
    for (const auto& g : client.grants()) sees += ", " + g.root.string();
    if (!client.statePath().empty()) sees += ", " + client.statePath().string() + " (writable)";
    std::string head = "MCP server '" + client.serverName() + "' failed to start in the sandbox";
    if (!hidden.empty()) head += ": " + hidden;
    head += " (" + std::string(client.network() ? "with network" : "no network") + "; it sees " + sees + ")";
    std::string rest = reason;
    const std::string prefix = "MCP server '" + client.serverName() + "' ";
    if (rest.rfind(prefix, 0) == 0) rest = rest.substr(prefix.size());
    return head + ": " + rest;
}

}  // namespace

Result<std::shared_ptr<McpClient>> McpClient::start(const McpServerConfig& config, const Policy& policy,
                                                    const McpOptions& options) {
    auto spec = mcpSandboxSpec(config, policy, options);
    if (!spec) return unexpected(spec.error());
    auto process = SandboxProcess::start(*spec, policy);
    if (!process)
        return unexpected(process.error().code,
                          "MCP server '" + config.name + "': " + process.error().message);
    McpOptions own = options;
    if (config.startTimeout) own.startTimeout = *config.startTimeout;
    if (config.callTimeout) own.callTimeout = *config.callTimeout;
    std::shared_ptr<McpClient> client(new McpClient(config.name, policy.grants(), own));
    client->m_process = std::move(*process);
    client->m_network = config.network;
    client->m_sampling = config.sampling;
    client->m_samplingMaxTokens = config.samplingMaxTokens;
    client->m_readOnly = spec->extraReadOnly;
    client->m_statePath = spec->extraWritable.empty() ? fs::path() : spec->extraWritable.front();
    if (auto ok = client->initialize(); !ok) return unexpected(ok.error().code, startHint(*client, ok.error().message));
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
    // Sampling is offered only to a server whose configuration allows it.
    json params = {{"protocolVersion", kProtocolVersion},
                   {"capabilities", m_sampling ? json{{"sampling", json::object()}} : json::object()},
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
            // A tool that must run as a task (execution.taskSupport "required") cannot be
            // called with a plain tools/call, which is all this client makes: not listed.
            if (t.contains("execution") && t["execution"].is_object() &&
                t["execution"].value("taskSupport", json()) == "required") {
                logger("agents")->warn("MCP server '{}': skipping tool '{}': it must run as a task, which "
                                       "this client does not support", m_name, t["name"].get<std::string>());
                continue;
            }
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
    // The request's id (request() takes the next one) doubles as its progress token.
    m_progressToken = m_nextId;
    m_progressTool = tool;
    auto result = request("tools/call",
                          {{"name", tool}, {"arguments", arguments}, {"_meta", {{"progressToken", m_progressToken}}}},
                          timeout);
    m_progressToken = 0;
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
        const bool call = method == "tools/call";
        return unexpected(ErrorCode::Overflow,
                          "MCP server '" + m_name + "' did not answer " + method + " within " + msText(timeout) +
                              (call ? " (its call timeout, \"timeouts\": {\"call_s\": N})"
                                    : " (its start-up timeout, \"timeouts\": {\"start_s\": N})"));
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
            // A request or notification from the server. Answer pings and sampling; refuse
            // other requests (roots, elicitation are not offered); ignore notifications.
            if (msg.contains("id")) {
                json reply = {{"jsonrpc", "2.0"}, {"id", msg["id"]}};
                if (msg["method"] == "ping") reply["result"] = json::object();
                else if (msg["method"] == "sampling/createMessage") reply.update(sample(msg));
                else reply["error"] = {{"code", -32601}, {"message", "not supported by this client"}};
                // A completion may have used up the call's time: its answer still goes out.
                const auto by = std::max(deadline, Clock::now() + std::chrono::seconds(1));
                if (auto ok = send(reply, by); !ok) return unexpected(ok.error());
            } else if (msg["method"] == "notifications/progress") {
                progress(msg.value("params", json::object()));
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

void McpClient::progress(const json& params) {
    if (m_progressToken == 0 || !params.is_object() || params.value("progressToken", json()) != json(m_progressToken))
        return;
    const json& p = params.value("progress", json());
    if (!p.is_number()) return;
    McpProgress update;
    update.server = m_name;
    update.tool = m_progressTool;
    update.progress = p.get<double>();
    if (params.contains("total") && params["total"].is_number()) update.total = params["total"].get<double>();
    if (params.contains("message") && params["message"].is_string())
        update.message = excerpt(params["message"].get<std::string>());
    logger("agents")->debug("MCP server '{}' progress on {}: {}", m_name, m_progressTool, update.progress);
    if (m_options.onProgress) m_options.onProgress(update);
}

json McpClient::sample(const json& msg) {
    json record = {{"mcp_server", m_name}, {"sampling", true}, {"allowed", m_sampling}};
    const auto refuse = [&](int code, const std::string& why) {
        record["error"] = why;
        if (m_options.onSampling) m_options.onSampling(record);
        logger("agents")->debug("{}", why);  // the error reaches the caller through the server
        return json{{"error", {{"code", code}, {"message", why}}}};
    };
    if (!m_sampling)
        return refuse(-32601, "MCP server '" + m_name + "' may not ask Atelier's model for completions: set \"sampling\": "
                              "true in mcpServers." + m_name + " of the MCP configuration to allow it");
    auto request = parseMcpSamplingParams(msg.value("params", json::object()), m_name, m_samplingMaxTokens);
    if (!request) return refuse(-32602, request.error().message);
    record["max_tokens"] = request->maxTokens;
    if (!m_options.sampler)
        return refuse(-32603, "MCP server '" + m_name + "' asked for a completion (sampling/createMessage), but no "
                              "local model is loaded to answer it");
    auto reply = m_options.sampler(*request);
    if (!reply) {
        std::string why = reply.error().message;
        std::replace(why.begin(), why.end(), '\n', ' ');
        return refuse(-32603, "MCP server '" + m_name + "': sampling/createMessage failed: " + why);
    }
    record["prompt_tokens"] = reply->promptTokens;
    record["completion_tokens"] = reply->completionTokens;
    // Spent on behalf of whoever made the call this request came during (a team run's agent).
    reportToolModelTokens(reply->promptTokens + reply->completionTokens);
    record["stop_reason"] = reply->stopReason;
    if (m_options.onSampling) m_options.onSampling(record);
    logger("agents")->info("MCP server '{}' sampled {} tokens ({})", m_name, reply->completionTokens, reply->stopReason);
    return json{{"result", mcpSamplingResult(*reply)}};
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
