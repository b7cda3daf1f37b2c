// ctest-labels: unit
// JSON replies (json_constraint.h): a random-weight tiny model sampled hot over many seeds,
// constrained to a JSON object or to a schema, ends its turn (when it ends within the token
// limit) with text that nlohmann's parser accepts as one value and that the tests' own
// validator (dsml_constraint_test_support.h) finds in the schema; the end token is only allowed
// once the value is complete; malformed schemas are refused naming the problem.

#include <QtTest>

#include "atelier/engine/json_constraint.h"
#include "dsml_constraint_test_support.h"
#include "generation_test_util.h"

using namespace dsml_test;

namespace {

std::shared_ptr<TokenConstraint> jsonOrDie(const Tokenizer& tok, JsonConstraintOptions o) {
    auto c = makeJsonConstraint(tok, std::move(o));
    if (!c) qFatal("%s", c.error().message.c_str());
    return *c;
}

std::vector<std::int32_t> chatPrompt(const Tokenizer& tok, const std::string& question) {
    ChatMessage user;
    user.content = question;
    auto text = encodeChat({user}, ChatEncodeOptions{ChatMode::Chat});
    if (!text) qFatal("%s", text.error().message.c_str());
    return tok.encode(*text, true);
}

struct Run {
    std::vector<std::int32_t> tokens;
    FinishReason reason = FinishReason::Cancelled;
    int emptyMasks = 0;
};

// Samples `seeds` constrained replies at once; returns the texts of those that ended (EOS
// removed) and checks every masked distribution kept a token.
std::vector<std::string> sampleReplies(const Tokenizer& tok, const std::string& schema, int seeds,
                                       int maxTokens, int& ended) {
    GenerationService service(generation_test::tinyModel(), generation_test::smallChunks(), tok);
    const auto prompt = chatPrompt(tok, "Answer in JSON.");
    std::vector<Run> runs(static_cast<std::size_t>(seeds));
    std::vector<GenerationHandle> handles;
    for (int seed = 1; seed <= seeds; ++seed) {
        JsonConstraintOptions o;
        o.schemaJson = schema;
        o.maxStringChars = 10;
        o.maxArrayItems = 3;
        GenerationRequest r;
        r.prompt = prompt;
        r.sampling.temperature = 1.5f;
        r.sampling.seed = std::uint64_t(seed);
        r.stop.maxTokens = maxTokens;
        r.stop.stopTokens = {tok.eosId()};
        r.constraint = jsonOrDie(tok, o);
        Run& run = runs[std::size_t(seed - 1)];
        r.callbacks.onLogits = [&run](std::span<const float> l) {
            bool any = false;
            for (float x : l) any = any || std::isfinite(x);
            run.emptyMasks += !any;
        };
        r.callbacks.onDone = [&run](const GenerationResult& res) {
            run.tokens = res.tokens;
            run.reason = res.reason;
        };
        r.callbacks.onError = [](const atelier::Error& e) { qFatal("%s", e.message.c_str()); };
        handles.push_back(generation_test::submitOrDie(service, std::move(r)));
    }
    for (auto& h : handles) h.wait();
    std::vector<std::string> out;
    ended = 0;
    for (const Run& run : runs) {
        if (run.emptyMasks != 0) qFatal("a masked distribution kept no token");
        if (run.reason != FinishReason::Stop) continue;
        ++ended;
        if (run.tokens.back() != tok.eosId()) qFatal("a turn that stopped did not end with EOS");
        std::vector<std::int32_t> body(run.tokens.begin(), run.tokens.end() - 1);
        out.push_back(*tok.decode(body));
    }
    return out;
}

}  // namespace

class TestJsonConstraint : public QObject {
    Q_OBJECT

private slots:
    void jsonObjectRepliesParse() {
        const Tokenizer tok = tinyTokenizer();
        int ended = 0;
        const auto texts = sampleReplies(tok, R"({"type": "object"})", 12, 400, ended);
        QVERIFY2(ended >= 6, std::to_string(ended).c_str());
        for (const auto& text : texts) {
            const json v = json::parse(text, nullptr, false);
            QVERIFY2(!v.is_discarded(), text.c_str());
            QVERIFY2(v.is_object(), text.c_str());
        }
    }

    void schemaRepliesValidate() {
        const std::string schemaText = R"({"type": "object", "properties": {
            "name": {"type": "string"}, "age": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
            "ok": {"type": "boolean"}, "score": {"type": ["number", "null"]}},
            "required": ["name", "age", "ok"]})";
        const json schema = json::parse(schemaText);
        const Tokenizer tok = tinyTokenizer();
        int ended = 0;
        const auto texts = sampleReplies(tok, schemaText, 12, 400, ended);
        QVERIFY2(ended >= 6, std::to_string(ended).c_str());
        for (const auto& text : texts) {
            const json v = json::parse(text, nullptr, false);
            QVERIFY2(!v.is_discarded(), text.c_str());
            std::string why;
            QVERIFY2(validates(v, schema, why), (why + "\n" + text).c_str());
        }
    }

    // Token by token: EOS is allowed exactly where the text so far is one complete value.
    void endOnlyAfterACompleteValue() {
        const Tokenizer tok = tinyTokenizer();
        auto c = jsonOrDie(tok, JsonConstraintOptions{});
        const std::string reply = R"({"a": [1, "x"]})";
        auto ids = tok.encode(reply, false);
        std::string sofar;
        for (std::size_t i = 0; i <= ids.size(); ++i) {
            const auto allowed = allowedSet(*c, tok.vocabSize());
            const bool complete = !sofar.empty() && !json::parse(sofar, nullptr, false).is_discarded();
            QCOMPARE(bool(allowed[std::size_t(tok.eosId())]), complete);
            if (i == ids.size()) break;
            QVERIFY2(allowed[std::size_t(ids[i])], sofar.c_str());
            c->accept(ids[i]);
            sofar += tok.tokenBytes(ids[i]);
        }
        QCOMPARE(sofar, reply);
    }

    void wrongTypesAreMasked() {
        const Tokenizer tok = tinyTokenizer();
        JsonConstraintOptions o;
        o.schemaJson = R"({"type": "array", "items": {"type": "integer"}})";
        auto c = jsonOrDie(tok, o);
        auto allowed = allowedSet(*c, tok.vocabSize());
        const auto brace = tok.encode("{", false), bracket = tok.encode("[", false);
        QCOMPARE(brace.size(), std::size_t(1));
        QVERIFY(!allowed[std::size_t(brace[0])]);
        QVERIFY(allowed[std::size_t(bracket[0])]);
        c->accept(bracket[0]);
        allowed = allowedSet(*c, tok.vocabSize());
        const auto quote = tok.encode("\"", false), one = tok.encode("1", false);
        QVERIFY(!allowed[std::size_t(quote[0])]);
        QVERIFY(allowed[std::size_t(one[0])]);
    }

    void badSchemasAreRefused() {
        QVERIFY(checkJsonSchema(R"({"type": "object"})"));
        auto notJson = checkJsonSchema("{");
        QVERIFY(!notJson);
        QVERIFY(notJson.error().message.find("not valid JSON") != std::string::npos);
        auto none = checkJsonSchema(R"({"type": "nothing"})");
        QVERIFY(!none);
        QVERIFY2(none.error().message.find("schema") != std::string::npos, none.error().message.c_str());
        QVERIFY(!checkJsonSchema("[1]"));
    }
};

QTEST_GUILESS_MAIN(TestJsonConstraint)
#include "test_json_constraint.moc"
