// ctest-labels: unit
// MCP tools: the standard mcpServers configuration; a real stdio server (mcp_test_server,
// JSON-RPC 2.0) started in the sandbox whose tools join the registry as `<server>__<tool>` with
// their schemas (all pages of tools/list); calls through the registry with policy and audit;
// invalid arguments rejected before reaching the server; and a server that crashes mid-call,
// writes malformed JSON, is too slow or cannot be sandboxed gives a clear error, never a hang.

#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "atelier/agents/audit_log.h"
#include "atelier/agents/audited_tool_context.h"
#include "atelier/agents/mcp_tool.h"
#include "atelier/agents/sandbox.h"
#include "atelier/agents/tool_schema.h"

using namespace atelier;
using namespace atelier::agents;
namespace fs = std::filesystem;
using nlohmann::json;

// Skips the calling test (QSKIP returns from it) where bubblewrap cannot sandbox.
#define REQUIRE_SANDBOX()                                                                   \
    if (auto ok = sandbox::available(); !ok)                                                \
    QSKIP(("bubblewrap cannot sandbox on this machine: " + ok.error().message).c_str())

namespace {
const fs::path kServer = fs::path(ATELIER_BINARY_DIR) / "tests" / "mcp_test_server";
}

class TestMcp : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path m_root, m_grant, m_outside;

    McpServerConfig server(std::vector<std::string> args = {}) const {
        return McpServerConfig{"test", kServer.string(), std::move(args), {}};
    }
    Policy grantPolicy() const { return Policy({{m_grant, Access::Read}}); }

    // A registry holding the test server's tools, started under `policy`.
    std::unique_ptr<ToolRegistry> registryWith(const Policy& policy, const McpOptions& options = {},
                                               std::vector<std::string> args = {}) {
        auto registry = std::make_unique<ToolRegistry>();
        auto added = addMcpTools(*registry, {server(std::move(args))}, policy, options);
        if (!added) qFatal("addMcpTools: %s", added.error().message.c_str());
        return registry;
    }

    static std::string errorOf(const Result<ToolResult>& r) { return r ? std::string() : r.error().message; }

private slots:
    void initTestCase() {
        QVERIFY(m_tmp.isValid());
        m_root = fs::canonical(m_tmp.path().toStdString());
        m_grant = m_root / "grant";
        m_outside = m_root / "outside";
        fs::create_directories(m_grant);
        fs::create_directories(m_outside);
        std::ofstream(m_grant / "doc.txt") << "granted words";
        std::ofstream(m_outside / "secret.txt") << "outside words";
        QVERIFY2(fs::exists(kServer), kServer.c_str());
    }

    void configReadsStdioServers() {
        // (Built as JSON rather than written as a raw string literal, which moc cannot parse.)
        const std::string text =
            json{{"mcpServers",
                  {{"zeta", {{"command", "./bin/srv"}, {"args", {"--x", "1"}}, {"env", {{"K", "v"}}}}},
                   {"alpha", {{"command", "/usr/bin/python3"}}},
                   {"off", {{"command", "x"}, {"disabled", true}}}}}}
                .dump();
        auto servers = parseMcpConfig(text, "cfg.json", "/base");
        QVERIFY2(servers.has_value(), servers ? "" : servers.error().message.c_str());
        QCOMPARE(servers->size(), std::size_t(2));
        QCOMPARE(QString::fromStdString((*servers)[0].name), QString("alpha"));
        QCOMPARE(QString::fromStdString((*servers)[1].command), QString("/base/bin/srv"));
        QCOMPARE((*servers)[1].args, (std::vector<std::string>{"--x", "1"}));
        QCOMPARE(QString::fromStdString((*servers)[1].env.at(0).second), QString("v"));
    }

    void configRejectsWhatItCannotRun() {
        auto notJson = parseMcpConfig("{\"mcpServers\": ", "cfg.json");
        QVERIFY(!notJson && notJson.error().message.find("cfg.json") != std::string::npos);
        const auto servers = [](json s) { return json{{"mcpServers", std::move(s)}}.dump(); };
        auto remote = parseMcpConfig(servers({{"web", {{"url", "http://example.invalid/mcp"}}}}), "c");
        QVERIFY(!remote && remote.error().message.find("stdio") != std::string::npos);
        auto noCommand = parseMcpConfig(servers({{"s", {{"args", json::array()}}}}), "c");
        QVERIFY(!noCommand && noCommand.error().message.find("mcpServers.s.command") != std::string::npos);
        auto badName = parseMcpConfig(servers({{"a__b", {{"command", "x"}}}}), "c");
        QVERIFY(!badName);
        auto badArgs = parseMcpConfig(servers({{"s", {{"command", "x"}, {"args", {1}}}}}), "c");
        QVERIFY(!badArgs && badArgs.error().message.find("args[0]") != std::string::npos);
        auto missing = readMcpConfig(m_root / "no-such.json");
        QVERIFY(!missing && missing.error().code == ErrorCode::NotFound);
    }

    // Issue 21: a server's "limits" set its sandbox's RLIMIT_NPROC and RLIMIT_AS; bad values
    // are errors naming the server and the field, and no limit can be switched off.
    void configLimitsReachTheSandbox() {
        const auto servers = [](json limits) {
            return json{{"mcpServers", {{"fs", {{"command", kServer.string()}, {"limits", std::move(limits)}}}}}}
                .dump();
        };
        auto parsed = parseMcpConfig(servers({{"processes", 17}, {"address_space_mb", 300}}), "cfg.json");
        QVERIFY2(parsed.has_value(), parsed ? "" : parsed.error().message.c_str());
        const McpServerConfig& cfg = parsed->at(0);
        QCOMPARE(cfg.limits.processes.value_or(0), std::uint64_t(17));
        QCOMPARE(cfg.limits.addressSpaceBytes.value_or(0), std::uint64_t(300) << 20);
        const SandboxSpec spec = mcpSandboxSpec(cfg, grantPolicy()).value();
        QCOMPARE(spec.maxProcesses, std::uint64_t(17));
        QCOMPARE(spec.maxAddressSpaceBytes, std::uint64_t(300) << 20);
        if (sandbox::findBwrap()) {  // the command line starts with bwrap's path
            auto argv = sandbox::commandLine(spec, grantPolicy());
            QVERIFY2(argv.has_value(), argv ? "" : argv.error().message.c_str());
            QVERIFY(std::find(argv->begin(), argv->end(), "--nproc=17") != argv->end());
#if !defined(__SANITIZE_ADDRESS__)  // sanitizer builds set no address-space limit
            QVERIFY(std::find(argv->begin(), argv->end(),
                              "--as=" + std::to_string(std::uint64_t(300) << 20)) != argv->end());
#endif
        }

        // Left out: SandboxSpec's defaults, one limit at a time.
        auto onlyProcs = parseMcpConfig(servers({{"processes", 5}}), "cfg.json");
        QVERIFY(onlyProcs.has_value());
        QVERIFY(!onlyProcs->at(0).limits.addressSpaceBytes);
        QCOMPARE(mcpSandboxSpec(onlyProcs->at(0), grantPolicy()).value().maxAddressSpaceBytes,
                 SandboxSpec{}.maxAddressSpaceBytes);
        auto none = parseMcpConfig(json{{"mcpServers", {{"fs", {{"command", "x"}}}}}}.dump(), "cfg.json");
        QVERIFY(none.has_value());
        QCOMPARE(mcpSandboxSpec(none->at(0), grantPolicy()).value().maxProcesses, SandboxSpec{}.maxProcesses);

        const std::pair<json, std::string> bad[] = {
            {json::array({1}), "cfg.json: mcpServers.fs.limits must be an object"},
            {{{"processes", 0}}, "cfg.json: mcpServers.fs.limits.processes is 0"},
            {{{"processes", -3}}, "cfg.json: mcpServers.fs.limits.processes must be a whole number"},
            {{{"processes", 2.5}}, "cfg.json: mcpServers.fs.limits.processes must be a whole number"},
            {{{"processes", "64"}}, "cfg.json: mcpServers.fs.limits.processes must be a whole number"},
            {{{"processes", 1000000}}, "cfg.json: mcpServers.fs.limits.processes is 1000000"},
            {{{"address_space_mb", 0}}, "cfg.json: mcpServers.fs.limits.address_space_mb is 0"},
            {{{"address_space_mb", json(18446744073709551615ull)}},
             "cfg.json: mcpServers.fs.limits.address_space_mb is 18446744073709551615"},
            {{{"address_space_mb", 1e30}}, "cfg.json: mcpServers.fs.limits.address_space_mb must be a whole number"},
            {{{"memory_mb", 100}}, "cfg.json: mcpServers.fs.limits.memory_mb is not a limit"},
        };
        for (const auto& [limits, want] : bad) {
            auto r = parseMcpConfig(servers(limits), "cfg.json");
            QVERIFY2(!r, limits.dump().c_str());
            QCOMPARE(r.error().code, ErrorCode::BadInput);
            QVERIFY2(r.error().message.rfind(want, 0) == 0, (r.error().message + " / want " + want).c_str());
        }
    }

    void toolsAreListedWithTheirSchemas() {
        REQUIRE_SANDBOX();
        auto registry = registryWith(grantPolicy());  // page size 2: five pages of tools/list
        QCOMPARE(registry->tools().size(), std::size_t(10));  // "bad name!" is skipped
        const Tool* add = registry->find("test__add");
        QVERIFY(add);
        const json expected = {{"type", "object"},
                               {"properties", {{"a", {{"type", "integer"}}}, {"b", {{"type", "integer"}}}}},
                               {"required", {"a", "b"}},
                               {"additionalProperties", false}};
        QCOMPARE(QString::fromStdString(add->parameters().dump()), QString::fromStdString(expected.dump()));
        QVERIFY(add->description().find("Adds two integers") != std::string::npos);
        QVERIFY(add->capabilities() & std::uint32_t(Capability::Mcp));
        QVERIFY(add->capabilities() & std::uint32_t(Capability::Subprocess));
        QVERIFY(registry->find("test__big"));  // the last page
        QVERIFY(!registry->find("test__bad name!"));
    }

    void callsGoThroughTheRegistryWithPolicyAndAudit() {
        REQUIRE_SANDBOX();
        auto registry = registryWith(grantPolicy());
        auto audit = AuditLog::open(m_root / "audit.db");
        QVERIFY(audit.has_value());
        const Policy policy = grantPolicy();
        const PolicyToolContext policyCtx(policy, m_grant);
        const AuditedToolContext ctx(policyCtx, *audit, "tester");
        const json args = {{"a", 2}, {"b", 40}};
        auto r = registry->call("test__add", args, ctx);
        QVERIFY2(r.has_value(), errorOf(r).c_str());
        QCOMPARE(QString::fromStdString(r->text), QString("42"));
        QCOMPARE(r->data["structuredContent"]["sum"].get<int>(), 42);
        QVERIFY(ctx.recordCall("test__add", args, r).has_value());
        bool sawDecision = false, sawCall = false;
        QVERIFY(audit->forEach([&](const AuditRecord& rec) {
            if (rec.kind == "policy_decision" && rec.payload["path"] == m_grant.string()) sawDecision = true;
            if (rec.kind == "tool_call" && rec.payload["tool"] == "test__add") sawCall = true;
        }).has_value());
        QVERIFY(sawDecision);
        QVERIFY(sawCall);
        QVERIFY(audit->verify()->ok());
    }

    void invalidArgumentsNeverReachTheServer() {
        REQUIRE_SANDBOX();
        auto registry = registryWith(grantPolicy());
        const Policy policy = grantPolicy();
        const PolicyToolContext ctx(policy, m_grant);
        for (const json& bad : {json::object(), json{{"text", 5}}, json{{"text", "a"}, {"extra", 1}}}) {
            auto r = registry->call("test__echo", bad, ctx);
            QVERIFY(!r.has_value());
            QCOMPARE(int(r.error().code), int(ErrorCode::BadInput));
        }
        auto ok = registry->call("test__echo", {{"text", "hi"}}, ctx);
        QVERIFY2(ok.has_value(), errorOf(ok).c_str());
        QCOMPARE(QString::fromStdString(ok->text), QString("echo: hi"));
        auto calls = registry->call("test__calls", json::object(), ctx);
        QVERIFY(calls.has_value());
        QCOMPARE(QString::fromStdString(calls->text), QString("2"));  // echo "hi" and this one
    }

    void theServerSeesOnlyItsGrants() {
        REQUIRE_SANDBOX();
        auto registry = registryWith(grantPolicy());
        const Policy policy = grantPolicy();
        const PolicyToolContext ctx(policy, m_grant);
        auto inside = registry->call("test__read_file", {{"path", (m_grant / "doc.txt").string()}}, ctx);
        QVERIFY2(inside.has_value(), errorOf(inside).c_str());
        QCOMPARE(QString::fromStdString(inside->text), QString("granted words"));
        auto outside = registry->call("test__read_file", {{"path", (m_outside / "secret.txt").string()}}, ctx);
        QVERIFY(!outside.has_value());
        QVERIFY(outside.error().message.find("outside words") == std::string::npos);
        QVERIFY2(outside.error().message.find("cannot open") != std::string::npos, errorOf(outside).c_str());
    }

    void aCallerWithNarrowerGrantsIsRefused() {
        REQUIRE_SANDBOX();
        auto registry = registryWith(grantPolicy());
        const Policy none({});
        const PolicyToolContext ctx(none, m_root);
        auto r = registry->call("test__echo", {{"text", "hi"}}, ctx);
        QVERIFY(!r.has_value());
        QCOMPARE(int(r.error().code), int(ErrorCode::Denied));
    }

    void toolErrorsAndLargeResults() {
        REQUIRE_SANDBOX();
        auto registry = registryWith(grantPolicy());
        const Policy policy = grantPolicy();
        const PolicyToolContext ctx(policy, m_grant);
        auto failed = registry->call("test__fail", json::object(), ctx);
        QVERIFY(!failed.has_value());
        QVERIFY(failed.error().message.find("failed on purpose") != std::string::npos);
        auto big = registry->call("test__big", {{"bytes", 200000}}, ctx);
        QVERIFY2(big.has_value(), errorOf(big).c_str());
        QVERIFY(big->truncated);
        QVERIFY(big->text.size() < kMaxResultBytes + 100);
    }

    void aServerThatExitsMidCallFailsClearly() {
        REQUIRE_SANDBOX();
        auto registry = registryWith(grantPolicy());
        const Policy policy = grantPolicy();
        const PolicyToolContext ctx(policy, m_grant);
        auto r = registry->call("test__crash", json::object(), ctx);
        QVERIFY(!r.has_value());
        QVERIFY2(r.error().message.find("crashing on purpose") != std::string::npos, errorOf(r).c_str());
        QVERIFY2(r.error().message.find("status 3") != std::string::npos, errorOf(r).c_str());
        auto after = registry->call("test__echo", {{"text", "hi"}}, ctx);  // fails at once
        QVERIFY(!after.has_value());
        QVERIFY(after.error().message.find("crashing on purpose") != std::string::npos);
    }

    void malformedJsonFailsClearly() {
        REQUIRE_SANDBOX();
        auto registry = registryWith(grantPolicy());
        const Policy policy = grantPolicy();
        const PolicyToolContext ctx(policy, m_grant);
        auto r = registry->call("test__garbage", json::object(), ctx);
        QVERIFY(!r.has_value());
        QVERIFY2(r.error().message.find("malformed") != std::string::npos, errorOf(r).c_str());

        ToolRegistry atInit;
        auto garbage = addMcpTools(atInit, {server({"--garbage-on-init"})}, grantPolicy());
        QVERIFY(!garbage.has_value());
        QVERIFY2(garbage.error().message.find("Server starting") != std::string::npos,
                 garbage.error().message.c_str());
        auto exits = addMcpTools(atInit, {server({"--exit-on-init"})}, grantPolicy());
        QVERIFY(!exits.has_value());
        QVERIFY2(exits.error().message.find("status 4") != std::string::npos, exits.error().message.c_str());
    }

    void aMissingServerProgramFailsClearly() {
        REQUIRE_SANDBOX();
        for (const std::string command : {"/nonexistent/mcp-server", "no-such-mcp-server"}) {
            ToolRegistry registry;
            auto r = addMcpTools(registry, {McpServerConfig{"gone", command, {}, {}}}, grantPolicy());
            QVERIFY(!r.has_value());
            QVERIFY2(r.error().message.find(command) != std::string::npos, r.error().message.c_str());
            QVERIFY2(r.error().message.find("'gone'") != std::string::npos, r.error().message.c_str());
        }
    }

    void anEndlessLineIsCutOff() {
        REQUIRE_SANDBOX();
        McpOptions options;
        options.maxMessageBytes = 64 * 1024;
        auto registry = registryWith(grantPolicy(), options);
        const Policy policy = grantPolicy();
        const PolicyToolContext ctx(policy, m_grant);
        const auto start = std::chrono::steady_clock::now();
        auto r = registry->call("test__flood", {{"bytes", 1 << 20}}, ctx);
        QVERIFY(!r.has_value());
        QVERIFY2(r.error().message.find("65536 bytes") != std::string::npos, errorOf(r).c_str());
        QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
    }

    void aSlowCallTimesOutAndTheServerStaysUsable() {
        REQUIRE_SANDBOX();
        McpOptions options;
        options.callTimeout = std::chrono::milliseconds(1000);
        auto registry = registryWith(grantPolicy(), options);
        const Policy policy = grantPolicy();
        const PolicyToolContext ctx(policy, m_grant);
        const auto start = std::chrono::steady_clock::now();
        auto slow = registry->call("test__sleep", {{"ms", 1500}}, ctx);
        QVERIFY(!slow.has_value());
        QCOMPARE(int(slow.error().code), int(ErrorCode::Overflow));
        QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1400));
        // The late answer to the cancelled call is skipped, not taken for this one.
        auto next = registry->call("test__echo", {{"text", "after"}}, ctx);
        QVERIFY2(next.has_value(), errorOf(next).c_str());
        QCOMPARE(QString::fromStdString(next->text), QString("echo: after"));
    }

    // A hostile server's schemas: $ref loops, nesting past the bound and patterns that do not
    // compile are skipped while listing (they used to recurse without end); a catastrophic
    // pattern is matched under PCRE2's limits, so a 120,000-character argument is an error,
    // never a crash; the server's good tools still work.
    void hostileSchemasAreSkippedAndPatternsBounded() {
        REQUIRE_SANDBOX();
        auto registry = registryWith(grantPolicy(), {}, {"--hostile-schemas"});
        for (const char* skipped : {"test__ref_loop", "test__ref_root", "test__deep_schema", "test__bad_pattern"})
            QVERIFY2(!registry->find(skipped), skipped);
        QVERIFY(registry->find("test__costly_pattern"));
        QVERIFY(registry->find("test__echo"));
        const Policy policy = grantPolicy();
        const PolicyToolContext ctx(policy, m_grant);
        const auto start = std::chrono::steady_clock::now();
        auto costly = registry->call("test__costly_pattern", {{"text", std::string(120000, 'a') + "!"}}, ctx);
        QVERIFY(!costly.has_value());
        QVERIFY2(costly.error().code == ErrorCode::Overflow || costly.error().code == ErrorCode::BadInput,
                 errorOf(costly).c_str());
        QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
        auto fine = registry->call("test__costly_pattern", {{"text", "aaaa"}}, ctx);
        QVERIFY2(fine.has_value(), errorOf(fine).c_str());
        QCOMPARE(QString::fromStdString(fine->text), QString("ok"));
        auto echo = registry->call("test__echo", {{"text", "still here"}}, ctx);
        QVERIFY2(echo.has_value(), errorOf(echo).c_str());
    }

    // A message nested 100,000 levels deep is refused before a tree is built (copying it
    // overflowed the stack): the server is dropped with a one-line error.
    void aDeeplyNestedMessageDropsTheServerWithOneLine() {
        REQUIRE_SANDBOX();
        ToolRegistry registry;
        auto r = addMcpTools(registry, {server({"--deep-list"})}, grantPolicy());
        QVERIFY(!r.has_value());
        QVERIFY2(r.error().message.find("nested over 64 levels") != std::string::npos, r.error().message.c_str());
        QVERIFY2(r.error().message.find('\n') == std::string::npos, r.error().message.c_str());
        QVERIFY(registry.tools().empty());
    }

    // The validator never runs std::regex: a `pattern` or `format` on a 120,000-character
    // string is matched by PCRE2 (std::regex recursed once per character and crashed).
    void patternsAndFormatsOnHugeStringsAreBounded() {
        const json schema = {{"type", "object"},
                             {"properties", {{"word", {{"type", "string"}, {"pattern", "^[a-z]+$"}}},
                                             {"when", {{"type", "string"}, {"format", "date-time"}}}}}};
        const std::string huge(120000, 'a');
        QVERIFY(ToolRegistry::validateArguments(schema, {{"word", huge}}).has_value());
        auto bad = ToolRegistry::validateArguments(schema, {{"word", huge + "1"}});
        QVERIFY(!bad.has_value());
        QCOMPARE(int(bad.error().code), int(ErrorCode::BadInput));
        QVERIFY2(bad.error().message.find("does not match the pattern '^[a-z]+$'") != std::string::npos,
                 bad.error().message.c_str());
        QVERIFY(!ToolRegistry::validateArguments(schema, {{"when", std::string(120000, '1')}}).has_value());
        QVERIFY(ToolRegistry::validateArguments(schema, {{"when", "2024-02-29T10:00:00Z"}}).has_value());
        QVERIFY(!ToolRegistry::validateArguments(schema, {{"when", "2024-02-30T10:00:00Z"}}).has_value());
        // A match that runs into PCRE2's limit is an error that says so, not a mismatch.
        const json costly = {{"type", "object"}, {"properties", {{"s", {{"type", "string"}, {"pattern", "^(a|a)*$"}}}}}};
        auto limited = ToolRegistry::validateArguments(costly, {{"s", std::string(40, 'a') + "b"}});
        QVERIFY(!limited.has_value());
        QCOMPARE(int(limited.error().code), int(ErrorCode::Overflow));
        QVERIFY2(limited.error().message.find("too costly") != std::string::npos, limited.error().message.c_str());
    }

    // patternProperties keep their meaning (which keys they cover, additionalProperties)
    // without std::regex; propertyNames patterns apply to keys.
    void patternPropertiesKeepTheirMeaning() {
        const json schema = {{"type", "object"},
                             {"properties", {{"id", {{"type", "integer"}}}}},
                             {"patternProperties", {{"^x_", {{"type", "string"}}}, {"^id$", {{"minimum", 5}}}}},
                             {"additionalProperties", false}};
        QVERIFY(ToolRegistry::validateArguments(schema, {{"id", 7}, {"x_a", "s"}}).has_value());
        QVERIFY(!ToolRegistry::validateArguments(schema, {{"x_a", 1}}).has_value());  // wrong type
        QVERIFY(!ToolRegistry::validateArguments(schema, {{"y", "s"}}).has_value());   // not covered
        QVERIFY(!ToolRegistry::validateArguments(schema, {{"id", 3}}).has_value());    // both apply
        const json names = {{"type", "object"}, {"propertyNames", {{"pattern", "^[a-z]+$"}}}};
        QVERIFY(ToolRegistry::validateArguments(names, {{"abc", 1}}).has_value());
        QVERIFY(!ToolRegistry::validateArguments(names, {{"ABC", 1}}).has_value());
    }

    // Schemas are bounded before the validator sees them; arguments too.
    void schemaBoundsAreErrorsNotRecursion() {
        const json loop = {{"type", "object"},
                           {"properties", {{"a", {{"$ref", "#/definitions/b"}}}}},
                           {"definitions", {{"b", {{"$ref", "#/definitions/b"}}}}}};
        auto r = ToolRegistry::validateArguments(loop, {{"a", 1}});
        QVERIFY(!r.has_value());
        QCOMPARE(int(r.error().code), int(ErrorCode::Internal));
        QVERIFY2(r.error().message.find("cycle") != std::string::npos, r.error().message.c_str());
        const json acyclic = {{"type", "object"},
                              {"properties", {{"a", {{"$ref", "#/definitions/n"}}}}},
                              {"definitions", {{"n", {{"type", "integer"}}}}}};
        QVERIFY(ToolRegistry::validateArguments(acyclic, {{"a", 1}}).has_value());
        QVERIFY(!ToolRegistry::validateArguments(acyclic, {{"a", "x"}}).has_value());
        const json remote = {{"type", "object"}, {"properties", {{"a", {{"$ref", "http://example.com/s.json"}}}}}};
        QVERIFY(!checkToolSchema(remote).has_value());
        json deep = {{"type", "string"}};
        for (int i = 0; i < 40; ++i) deep = {{"type", "object"}, {"properties", {{"x", deep}}}};
        QVERIFY(!checkToolSchema(deep).has_value());
        QVERIFY(!checkToolSchema({{"type", "object"}, {"properties", {{"a", {{"pattern", "("}}}}}}).has_value());
        json deepArgs = 1;
        for (int i = 0; i < 100; ++i) deepArgs = json::array({deepArgs});
        auto args = ToolRegistry::validateArguments({{"type", "object"}}, {{"a", deepArgs}});
        QVERIFY(!args.has_value());
        QVERIFY2(args.error().message.find("nest") != std::string::npos, args.error().message.c_str());
        QVERIFY(parseJsonBounded(std::string(100000, '[') + std::string(100000, ']'), 64).is_discarded());
        QVERIFY(!parseJsonBounded("{\"a\": [\"[[[[\", {\"b\": 1}]}", 3).is_discarded());
    }

    void missingBwrapRefusesMcpServers() {
        QTemporaryDir empty;
        const QByteArray saved = qgetenv("PATH");
        qputenv("PATH", empty.path().toUtf8());
        ToolRegistry registry;
        auto r = addMcpTools(registry, {server()}, grantPolicy());
        qputenv("PATH", saved);
        QVERIFY(!r.has_value());
        QCOMPARE(int(r.error().code), int(ErrorCode::Denied));
        QVERIFY2(r.error().message.find("bwrap") != std::string::npos, r.error().message.c_str());
        QVERIFY(registry.tools().empty());
    }
};

QTEST_APPLESS_MAIN(TestMcp)
#include "test_mcp.moc"
