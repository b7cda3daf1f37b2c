// ctest-labels: unit
// ctest-libs: PkgConfig::CPP_HTTPLIB
// Per-agent backends in a team file (issue #18): `backend: local` or a server `{url, model,
// api_key_env}` parse; unknown keys and a key written in the file are refused, naming the file,
// the agent and the field; a server whose host the user did not allow is refused (Denied,
// naming the agent and the host) by checkTeam and by routeTeamBackends; and in a run, a
// worker's turns go to its own server (an OpenAiServer on loopback that requires a key, read
// from the worker's api_key_env) while the manager's stay on the run's default model.

#include <set>

#include "atelier/agents/routed_agent_model.h"
#include "openai_test_support.h"
#include "team_runtime_fixture.h"

using namespace fixture;
using namespace scripted;

namespace {

std::string oneAgent(const std::string& backendLines) {
    return "---\nname: t\nagent:\n  name: a\n" + backendLines + "---\nRole.\n";
}

// A manager on the run's default and a reader with `readerBackend` (YAML, may be empty).
std::string managerAndReader(const std::string& readerBackend, const std::string& managerBackend = "") {
    return "---\nname: routed\nagent:\n  name: manager\n  tools: [delegate]\n"
           "  grants:\n    - path: ${workspace}\n      access: read\n"
           "  budgets: {tokens: 100000, steps: 4, wall_seconds: 600, depth: 1}\n  approval: auto\n" +
           managerBackend +
           "  workers:\n    - name: reader\n      role: You read.\n      tools: [files_read]\n"
           "      grants:\n        - path: ${workspace}/docs\n          access: read\n"
           "      budgets: {tokens: 50000, steps: 2, wall_seconds: 600, depth: 0}\n      approval: auto\n" +
           readerBackend + "---\nYou manage.\n";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

class TestTeamBackends : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path ws() const { return fs::path(m_tmp.path().toStdString()); }

private slots:
    void parsesLocalRemoteAndDefault() {
        auto t = parseTeam(managerAndReader("      backend: {url: http://gpu-box:8000/v1, model: deepseek-v4-flash,"
                                            " api_key_env: ATELIER_GPU_KEY}\n",
                                            "  backend: local\n"),
                           "team.md", ws());
        QVERIFY2(t.has_value(), t ? "" : t.error().message.c_str());
        QCOMPARE(t->root.backend.kind, BackendKind::Local);
        const BackendSpec& reader = t->root.workers.at(0).backend;
        QCOMPARE(reader.kind, BackendKind::Remote);
        QCOMPARE(reader.url, std::string("http://gpu-box:8000/v1"));
        QCOMPARE(reader.model, std::string("deepseek-v4-flash"));
        QCOMPARE(reader.apiKeyEnv, std::string("ATELIER_GPU_KEY"));
        QCOMPARE(backendDescription(reader), std::string("http://gpu-box:8000/v1"));

        auto plain = parseTeam(managerAndReader(""), "team.md", ws());
        QVERIFY(plain.has_value());
        QCOMPARE(plain->root.backend.kind, BackendKind::Default);
        QCOMPARE(plain->root.workers.at(0).backend.kind, BackendKind::Default);
        QCOMPARE(backendDescription(plain->root.backend), std::string("default"));
        // The backend is not a grant: a worker may run elsewhere than its parent.
        QVERIFY(checkTeam(*t, {}, HostAllowlist({"gpu-box"})).has_value());
    }

    void malformedBackendsNameTheFileAgentAndField() {
        struct Case { std::string backend; std::string expect; };
        const std::vector<Case> cases = {
            {"  backend: {url: http://h:1/v1, colour: red}\n", "unknown field 'colour'"},
            {"  backend: {url: http://h:1/v1, api_key: sk-123}\n", "never holds a key"},
            {"  backend: {url: http://h:1/v1, api_key: sk-123}\n", "--api-key"},
            {"  backend: remote\n", "must be 'local' or a mapping"},
            {"  backend: [http://h:1/v1]\n", "must be 'local' or a mapping"},
            {"  backend: {model: m}\n", "'url' is required"},
            {"  backend: {url: ftp://h/v1}\n", "not http:// or https://"},
            {"  backend: {url: 'http://user:pw@h/v1'}\n", "credentials"},
            {"  backend: {url: http://h:1/v1, api_key_env: AWS_SECRET_ACCESS_KEY}\n", "api_key_env"},
            {"  backend: {url: http://h:1/v1, api_key_env: atelier_lower}\n", "api_key_env"},
        };
        for (const auto& c : cases) {
            auto t = parseTeam(oneAgent(c.backend), "bad.md", ws());
            QVERIFY2(!t.has_value(), c.backend.c_str());
            const std::string& m = t.error().message;
            QVERIFY2(contains(m, c.expect), m.c_str());
            QVERIFY2(m.rfind("bad.md: ", 0) == 0, m.c_str());   // the file
            QVERIFY2(contains(m, "agent 'a'"), m.c_str());      // the agent
            QVERIFY2(contains(m, ".backend"), m.c_str());       // the field
        }
        // The key's value never appears in the error.
        auto t = parseTeam(oneAgent("  backend: {url: http://h:1/v1, api_key: sk-123}\n"), "bad.md", ws());
        QVERIFY(!t.has_value() && !contains(t.error().message, "sk-123"));
    }

    void aServerTheUserDidNotAllowIsRefused() {
        auto t = parseTeam(managerAndReader("      backend: {url: http://GPU-box:8000/v1}\n"), "team.md", ws());
        QVERIFY2(t.has_value(), t ? "" : t.error().message.c_str());
        for (const HostAllowlist& hosts : {HostAllowlist(), HostAllowlist({"other-box", "127.0.0.1"})}) {
            auto ok = checkTeam(*t, {}, hosts);
            QVERIFY(!ok.has_value());
            QCOMPARE(ok.error().code, atelier::ErrorCode::Denied);
            QVERIFY2(contains(ok.error().message, "agent 'reader'"), ok.error().message.c_str());
            QVERIFY2(contains(ok.error().message, "'GPU-box'"), ok.error().message.c_str());
            QVERIFY2(contains(ok.error().message, "--allow-host"), ok.error().message.c_str());
        }
        QVERIFY(checkTeam(*t, {}).has_value() == false);  // the default allowlist is empty
        QVERIFY(checkTeam(*t, {}, HostAllowlist({"gpu-box"})).has_value());  // host names ignore case

        // routeTeamBackends refuses it too, before any backend exists.
        TeamBackendOptions o;
        o.defaultModel = std::make_shared<ScriptedTestModel>();
        auto routed = routeTeamBackends(*t, o);
        QVERIFY(!routed.has_value());
        QCOMPARE(routed.error().code, atelier::ErrorCode::Denied);
        QVERIFY2(contains(routed.error().message, "agent 'reader'") && contains(routed.error().message, "'GPU-box'"),
                 routed.error().message.c_str());
    }

    void routingNeedsEveryBackendItNames() {
        // `backend: local` without a local model; an agent on the default without a default.
        auto local = parseTeam(managerAndReader("      backend: local\n"), "team.md", ws());
        QVERIFY(local.has_value());
        TeamBackendOptions o;
        o.defaultModel = std::make_shared<ScriptedTestModel>();
        auto r = routeTeamBackends(*local, o);
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, atelier::ErrorCode::Usage);
        QVERIFY2(contains(r.error().message, "agent 'reader'") && contains(r.error().message, "local"),
                 r.error().message.c_str());
        TeamBackendOptions none;
        r = routeTeamBackends(*local, none);
        QVERIFY(!r.has_value());
        QVERIFY2(contains(r.error().message, "agent 'manager'"), r.error().message.c_str());

        // An api_key_env variable that is not set.
        auto keyed = parseTeam(managerAndReader("      backend: {url: http://127.0.0.1:9/v1, api_key_env: ATELIER_NOT_SET}\n"),
                               "team.md", ws());
        QVERIFY(keyed.has_value());
        o.allowedHosts = HostAllowlist({"127.0.0.1"});
        o.environment = [](const std::string&) { return std::optional<std::string>(); };
        r = routeTeamBackends(*keyed, o);
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, atelier::ErrorCode::BadInput);
        QVERIFY2(contains(r.error().message, "agent 'reader'") && contains(r.error().message, "ATELIER_NOT_SET"),
                 r.error().message.c_str());

        // A turn of an agent with no route and no default fails, naming the agent.
        RoutedAgentModel empty(nullptr, {});
        TurnRequest req;
        req.agent = "ghost";
        auto turn = empty.generate(req);
        QVERIFY(!turn.has_value() && contains(turn.error().message, "'ghost'"));
    }

    void workerTurnsGoToItsServerAndTheManagersDoNot() {
        openai_test::Fixture server;
        atelier::agents::ServeOptions serve;
        serve.apiKey = "reader-key";  // the server refuses a request without it
        server.start(serve);
        // Which agent each request that reached the server came from (its role message names it).
        auto seen = std::make_shared<std::vector<std::string>>();
        auto seenMutex = std::make_shared<std::mutex>();
        server.server->chatBackend().setConstraintFactory(
            [seen, seenMutex](const ChatBackendRequest& r, const atelier::engine::Tokenizer&) {
                std::string agent = "?";
                for (const auto& m : r.messages) {
                    const std::string text = m.content.value_or("");
                    const auto at = text.find("You are the agent \"");
                    if (at != std::string::npos) {
                        const auto from = at + std::string("You are the agent \"").size();
                        agent = text.substr(from, text.find('"', from) - from);
                    }
                }
                std::lock_guard lock(*seenMutex);
                seen->push_back(agent);
                return std::shared_ptr<atelier::engine::TokenConstraint>();
            });

        Env env;
        const Team team = env.team(managerAndReader("      backend: {url: " + server.url() +
                                                    "/v1, model: atelier-tiny, api_key_env: ATELIER_TEST_READER_KEY}\n"));
        QVERIFY(checkTeam(team, {}, HostAllowlist({"127.0.0.1"})).has_value());
        auto manager = std::make_shared<ScriptedTestModel>();
        manager->script("manager", {calls({call("delegate", {{"agent", "reader"}, {"task", "read docs/a.txt"}})}),
                                    answer("Reader reported.")});
        TeamBackendOptions o;
        o.defaultModel = manager;
        o.allowedHosts = HostAllowlist({"127.0.0.1"});
        o.turnOptions.sampling.temperature = 0.0f;
        o.turnOptions.maxTokensPerTurn = 8;
        o.environment = [](const std::string& name) {
            return name == "ATELIER_TEST_READER_KEY" ? std::optional<std::string>("reader-key") : std::nullopt;
        };
        auto routed = routeTeamBackends(team, o);
        QVERIFY2(routed.has_value(), routed ? "" : routed.error().message.c_str());
        QCOMPARE((*routed)->modelFor("manager"), static_cast<AgentModel*>(manager.get()));
        QVERIFY((*routed)->modelFor("reader") != manager.get());

        Ran r = runTeam(env, team, **routed, "What does a.txt say?");
        QVERIFY2(r.outcome, r.outcome ? "" : r.outcome.error().message.c_str());
        QCOMPARE(r.outcome->report, std::string("Reader reported."));
        // The manager's two turns were the scripted model's; the reader's never were.
        QCOMPARE(manager->turns("manager"), 2);
        QCOMPARE(manager->turns("reader"), 0);
        // The reader's turns reached the server (with the key), and nothing else did.
        std::vector<std::string> agents;
        {
            std::lock_guard lock(*seenMutex);
            agents = *seen;
        }
        QVERIFY2(!agents.empty(), "no request reached the reader's server");
        QCOMPARE(std::set<std::string>(agents.begin(), agents.end()), std::set<std::string>{"reader"});
        QCOMPARE(sigs(r.events, "reader").front(), std::string("reader step"));

        // Without the key the server refuses the reader's turn, so the key really went with it.
        o.environment = [](const std::string&) { return std::optional<std::string>("wrong-key"); };
        auto wrong = routeTeamBackends(team, o);
        QVERIFY(wrong.has_value());
        TurnRequest req;
        req.agent = "reader";
        req.messages = {atelier::engine::ChatMessage{atelier::engine::ChatRole::System, "You are the agent \"reader\"."},
                        atelier::engine::ChatMessage{atelier::engine::ChatRole::User, "hi"}};
        const std::size_t before = agents.size();
        auto turn = (*wrong)->generate(req);
        QVERIFY(!turn.has_value());
        std::lock_guard lock(*seenMutex);
        QCOMPARE(seen->size(), before);
    }
};

QTEST_GUILESS_MAIN(TestTeamBackends)
#include "test_team_backends.moc"
