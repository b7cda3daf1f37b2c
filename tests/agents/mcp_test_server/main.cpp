// mcp_test_server: a real MCP server (JSON-RPC 2.0, one message per line on stdin/stdout) for
// the tests, written independently of the client. It refuses tools/list and tools/call until
// the client has sent notifications/initialized, pages tools/list, and has tools that misbehave
// on purpose (crash mid-call, malformed JSON, sleeping past a timeout).
// Options: --page-size N (tools per tools/list page, default 2), --garbage-on-init (answers
// initialize with a line that is not JSON), --exit-on-init (exits without answering),
// --hostile-schemas (adds tools whose schemas loop through $ref, nest too deep, or hold a
// catastrophic or invalid pattern), --deep-list (answers tools/list with a schema nested
// 100,000 levels deep), --sampling (adds the tool `sample`, which asks the client for a
// completion with sampling/createMessage in the middle of its call, `sample_short` (the same
// with only a prompt, for a model's own calls) and `client_capabilities`).

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

using nlohmann::json;

namespace {

json schemaOf(json properties, json required) {
    return {{"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)},
            {"additionalProperties", false}};
}

json toolList() {
    const json str = {{"type", "string"}}, integer = {{"type", "integer"}};
    return json::array({
        {{"name", "echo"}, {"description", "Echoes its text"}, {"inputSchema", schemaOf({{"text", str}}, {"text"})}},
        {{"name", "add"}, {"description", "Adds two integers"},
         {"inputSchema", schemaOf({{"a", integer}, {"b", integer}}, {"a", "b"})}},
        {{"name", "read_file"}, {"description", "Reads a file inside the server's sandbox"},
         {"inputSchema", schemaOf({{"path", str}}, {"path"})}},
        {{"name", "calls"}, {"description", "How many tools/call requests reached the server"},
         {"inputSchema", schemaOf(json::object(), json::array())}},
        {{"name", "crash"}, {"description", "Exits in the middle of the call"},
         {"inputSchema", schemaOf(json::object(), json::array())}},
        {{"name", "garbage"}, {"description", "Answers with malformed JSON"},
         {"inputSchema", schemaOf(json::object(), json::array())}},
        {{"name", "sleep"}, {"description", "Answers after ms milliseconds"},
         {"inputSchema", schemaOf({{"ms", integer}}, {"ms"})}},
        {{"name", "fail"}, {"description", "Reports a tool error"}, {"inputSchema", schemaOf(json::object(), json::array())}},
        {{"name", "big"}, {"description", "Answers with `bytes` bytes of text"},
         {"inputSchema", schemaOf({{"bytes", integer}}, {"bytes"})}},
        {{"name", "flood"}, {"description", "Writes `bytes` bytes without a newline, then hangs"},
         {"inputSchema", schemaOf({{"bytes", integer}}, {"bytes"})}},
        {{"name", "bad name!"}, {"description", "A name no client should register"},
         {"inputSchema", schemaOf(json::object(), json::array())}},
    });
}

// Tools a hostile server offers: each answers "ok" if a client ever calls it.
json hostileTools() {
    const json any = {{"type", "object"}};
    json deep = {{"type", "string"}};
    for (int i = 0; i < 25; ++i) deep = {{"type", "object"}, {"properties", {{"x", deep}}}};  // 51 levels
    return json::array({
        {{"name", "ref_loop"},
         {"inputSchema", {{"type", "object"},
                          {"properties", {{"a", {{"$ref", "#/definitions/b"}}}}},
                          {"definitions", {{"b", {{"$ref", "#/definitions/c"}}}, {"c", {{"$ref", "#/definitions/b"}}}}}}}},
        {{"name", "ref_root"},
         {"inputSchema", {{"type", "object"}, {"properties", {{"child", {{"$ref", "#"}}}}}}}},
        {{"name", "deep_schema"}, {"inputSchema", deep}},
        {{"name", "bad_pattern"},
         {"inputSchema", {{"type", "object"}, {"properties", {{"text", {{"type", "string"}, {"pattern", "(unclosed"}}}}}}}},
        {{"name", "costly_pattern"},
         {"inputSchema", {{"type", "object"},
                          {"properties", {{"text", {{"type", "string"}, {"pattern", "^(a+)+$"}}}}},
                          {"required", {"text"}}}}},
        {{"name", "any"}, {"inputSchema", any}},
    });
}

// A tools/list answer nested `depth` arrays deep, written without building it.
void sendDeepList(const json& id, int depth) {
    std::cout << R"({"jsonrpc":"2.0","id":)" << id.dump()
              << R"(,"result":{"tools":[{"name":"deep","inputSchema":{"type":"object","default":)"
              << std::string(std::size_t(depth), '[') << std::string(std::size_t(depth), ']') << "}}]}}\n"
              << std::flush;
}

void send(const json& message) {
    std::cout << message.dump() << "\n" << std::flush;
}

json textResult(const std::string& text, bool isError = false) {
    return {{"content", json::array({{{"type", "text"}, {"text", text}}})}, {"isError", isError}};
}

int g_calls = 0;
json g_clientCapabilities = json::object();

json samplingTools() {
    const json str = {{"type", "string"}}, integer = {{"type", "integer"}}, number = {{"type", "number"}};
    return json::array({
        {{"name", "sample"},
         {"description", "Asks the client's model to answer `prompt` (sampling/createMessage)"},
         {"inputSchema", {{"type", "object"},
                          {"properties", {{"prompt", str}, {"max_tokens", integer}, {"system", str},
                                          {"temperature", number}, {"stop", {{"type", "array"}, {"items", str}}},
                                          {"image", {{"type", "boolean"}}}, {"history", {{"type", "boolean"}}}}},
                          {"required", {"prompt", "max_tokens"}}}}},
        {{"name", "sample_short"},
         {"description", "Asks the client's model to answer `prompt` in at most 6 tokens (sampling/createMessage)"},
         {"inputSchema", schemaOf({{"prompt", str}}, {"prompt"})}},
        {{"name", "client_capabilities"}, {"description", "The capabilities the client declared"},
         {"inputSchema", schemaOf(json::object(), json::array())}},
    });
}

// Sends sampling/createMessage and reads until its answer (answering nothing else meanwhile).
json sample(const json& args) {
    json content = {{"type", "text"}, {"text", args.at("prompt").get<std::string>()}};
    json messages = json::array();
    if (args.value("history", false)) {
        messages.push_back({{"role", "user"}, {"content", {{"type", "text"}, {"text", "Hi."}}}});
        messages.push_back({{"role", "assistant"}, {"content", {{"type", "text"}, {"text", "Hello."}}}});
    }
    if (args.value("image", false))
        content = json::array({content, {{"type", "image"}, {"data", "iVBORw0KGgo="}, {"mimeType", "image/png"}}});
    messages.push_back({{"role", "user"}, {"content", content}});
    json params = {{"messages", messages}, {"maxTokens", args.at("max_tokens")}};
    if (args.contains("system")) params["systemPrompt"] = args["system"];
    if (args.contains("temperature")) params["temperature"] = args["temperature"];
    if (args.contains("stop")) params["stopSequences"] = args["stop"];
    send({{"jsonrpc", "2.0"}, {"id", "sample-1"}, {"method", "sampling/createMessage"}, {"params", params}});
    std::string line;
    while (std::getline(std::cin, line)) {
        const json msg = json::parse(line, nullptr, false);
        if (!msg.is_object() || msg.value("id", json()) != "sample-1") continue;
        if (msg.contains("error")) return textResult("sampling refused: " + msg["error"].value("message", ""), true);
        json r = textResult(msg["result"]["content"].value("text", ""));
        r["structuredContent"] = msg["result"];
        return r;
    }
    std::_Exit(5);
}

// --progress adds the tool `progress`: it sends notifications/progress 1/3, 2/3, 3/3 ("step N of
// 3") for the call's _meta.progressToken (none without one), then answers "progressed".
json progressTool() {
    return {{"name", "progress"}, {"description", "Reports progress three times, then answers"},
            {"inputSchema", schemaOf(json::object(), json::array())}};
}

json reportProgress(const json& params) {
    const json meta = params.value("_meta", json::object());
    if (meta.contains("progressToken"))
        for (int i = 1; i <= 3; ++i)
            send({{"jsonrpc", "2.0"}, {"method", "notifications/progress"},
                  {"params", {{"progressToken", meta["progressToken"]}, {"progress", i}, {"total", 3},
                              {"message", "step " + std::to_string(i) + " of 3"}}}});
    return textResult("progressed");
}

// Returns the result of one tools/call, or exits/misbehaves as the tool demands.
json callTool(const std::string& name, const json& args) {
    ++g_calls;
    if (name == "echo") return textResult("echo: " + args.at("text").get<std::string>());
    if (name == "add") {
        const long long sum = args.at("a").get<long long>() + args.at("b").get<long long>();
        json r = textResult(std::to_string(sum));
        r["structuredContent"] = {{"sum", sum}};
        return r;
    }
    if (name == "read_file") {
        std::ifstream in(args.at("path").get<std::string>());
        if (!in) return textResult("cannot open " + args.at("path").get<std::string>() + ": " + std::strerror(errno), true);
        std::ostringstream text;
        text << in.rdbuf();
        return textResult(text.str());
    }
    if (name == "calls") return textResult(std::to_string(g_calls));
    if (name == "sample") return sample(args);
    if (name == "sample_short") return sample({{"prompt", args.at("prompt")}, {"max_tokens", 6}});
    if (name == "client_capabilities") return textResult(g_clientCapabilities.dump());
    if (name == "crash") {
        std::cerr << "mcp_test_server: crashing on purpose" << std::endl;
        std::_Exit(3);
    }
    if (name == "garbage") {
        std::cout << "{\"jsonrpc\": \"2.0\", \"id\": oops" << std::endl;
        return textResult("unreachable");
    }
    if (name == "sleep") {
        std::this_thread::sleep_for(std::chrono::milliseconds(args.at("ms").get<int>()));
        return textResult("slept");
    }
    if (name == "flood") {
        std::cout << std::string(args.at("bytes").get<std::size_t>(), '{') << std::flush;
        std::this_thread::sleep_for(std::chrono::seconds(60));
        return textResult("unreachable");
    }
    if (name == "fail") return textResult("it failed on purpose", true);
    if (name == "big") return textResult(std::string(args.at("bytes").get<std::size_t>(), 'x'));
    for (const auto& t : hostileTools())
        if (t["name"] == name) return textResult("ok");
    return json();
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t pageSize = 2;
    bool garbageOnInit = false, exitOnInit = false, hostileSchemas = false, deepList = false, sampling = false;
    bool progress = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--page-size" && i + 1 < argc) pageSize = std::strtoul(argv[++i], nullptr, 10);
        else if (a == "--garbage-on-init") garbageOnInit = true;
        else if (a == "--exit-on-init") exitOnInit = true;
        else if (a == "--hostile-schemas") hostileSchemas = true;
        else if (a == "--deep-list") deepList = true;
        else if (a == "--progress") progress = true;
        else if (a == "--sampling") sampling = true;
    }
    json tools = toolList();
    if (progress) tools.push_back(progressTool());
    if (hostileSchemas)
        for (const auto& t : hostileTools()) tools.push_back(t);
    if (sampling)
        for (const auto& t : samplingTools()) tools.push_back(t);
    bool initialized = false;
    std::string line;
    while (std::getline(std::cin, line)) {
        const json msg = json::parse(line, nullptr, false);
        if (msg.is_discarded() || !msg.is_object()) {
            send({{"jsonrpc", "2.0"}, {"id", nullptr}, {"error", {{"code", -32700}, {"message", "parse error"}}}});
            continue;
        }
        const std::string method = msg.value("method", "");
        if (!msg.contains("id")) {  // a notification
            if (method == "notifications/initialized") initialized = true;
            continue;
        }
        json reply = {{"jsonrpc", "2.0"}, {"id", msg["id"]}};
        const json params = msg.value("params", json::object());
        if (method == "initialize") {
            if (exitOnInit) std::_Exit(4);  // no exit handlers (a sanitizer's leak check) to change the status
            g_clientCapabilities = params.value("capabilities", json::object());
            if (garbageOnInit) {
                std::cout << "Server starting... not JSON" << std::endl;
                continue;
            }
            reply["result"] = {{"protocolVersion", params.value("protocolVersion", "2025-06-18")},
                               {"capabilities", {{"tools", json::object()}}},
                               {"serverInfo", {{"name", "mcp_test_server"}, {"version", "1.0"}}}};
        } else if (!initialized) {
            reply["error"] = {{"code", -32002}, {"message", "not initialized: " + method}};
        } else if (method == "tools/list" && deepList) {
            sendDeepList(msg["id"], 100000);
            continue;
        } else if (method == "tools/list") {
            const std::size_t start = params.contains("cursor") ? std::stoul(params["cursor"].get<std::string>()) : 0;
            json page = json::array();
            for (std::size_t i = start; i < tools.size() && i < start + pageSize; ++i) page.push_back(tools[i]);
            reply["result"] = {{"tools", page}};
            if (start + pageSize < tools.size()) reply["result"]["nextCursor"] = std::to_string(start + pageSize);
        } else if (method == "tools/call" && progress && params.value("name", "") == "progress") {
            reply["result"] = reportProgress(params);
        } else if (method == "tools/call") {
            json result = callTool(params.value("name", ""), params.value("arguments", json::object()));
            if (result.is_null()) reply["error"] = {{"code", -32602}, {"message", "unknown tool"}};
            else reply["result"] = result;
        } else if (method == "ping") {
            reply["result"] = json::object();
        } else {
            reply["error"] = {{"code", -32601}, {"message", "method not found: " + method}};
        }
        send(reply);
    }
    return 0;
}
