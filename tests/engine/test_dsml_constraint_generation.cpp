// ctest-labels: unit
// DSML constraint in the generation service: a random-weight tiny model sampled at a high
// temperature over many seeds, constrained to call a tool, ends every turn with tool calls
// that the chat-format parser accepts and whose arguments satisfy the schemas (checked by the
// test's own validator); every masked distribution keeps a token; and a constraint with no
// tools gives bit-identical logits and tokens to no constraint at all.

#include <cmath>

#include <QtTest>

#include "dsml_constraint_test_support.h"
#include "generation_test_util.h"

using namespace dsml_test;

namespace {

struct Run {
    std::vector<std::int32_t> tokens;
    std::vector<std::vector<float>> logits;  // kept only when asked
    FinishReason reason = FinishReason::Cancelled;
    int emptyMasks = 0;
};

// Submits a request whose events fill `run`; the caller waits on the handle.
GenerationHandle submit(GenerationService& service, std::vector<std::int32_t> prompt,
                        SamplingParams sampling, int maxTokens,
                        std::shared_ptr<TokenConstraint> constraint, std::int32_t eos, bool keepLogits,
                        Run& run) {
    GenerationRequest r;
    r.prompt = std::move(prompt);
    r.sampling = sampling;
    r.stop.maxTokens = maxTokens;
    if (eos >= 0) r.stop.stopTokens = {eos};
    r.constraint = std::move(constraint);
    r.callbacks.onLogits = [&run, keepLogits](std::span<const float> l) {
        bool any = false;
        for (float x : l) any = any || std::isfinite(x);
        run.emptyMasks += !any;
        if (keepLogits) run.logits.emplace_back(l.begin(), l.end());
    };
    r.callbacks.onDone = [&run](const GenerationResult& res) {
        run.tokens = res.tokens;
        run.reason = res.reason;
    };
    r.callbacks.onError = [](const atelier::Error& e) { qFatal("%s", e.message.c_str()); };
    return generation_test::submitOrDie(service, std::move(r));
}

std::vector<std::int32_t> chatPrompt(const Tokenizer& tok, const std::string& question) {
    ChatMessage user;
    user.content = question;
    auto text = encodeChat({user}, ChatEncodeOptions{ChatMode::Chat});
    if (!text) qFatal("%s", text.error().message.c_str());
    return tok.encode(*text, true);
}

// The constraint without its view of the tokens left (what it was before it had one).
class BudgetBlind final : public TokenConstraint {
public:
    explicit BudgetBlind(std::shared_ptr<TokenConstraint> inner) : m_inner(std::move(inner)) {}
    void maskLogits(std::span<float> logits) override { m_inner->maskLogits(logits); }
    void accept(std::int32_t token) override { m_inner->accept(token); }

private:
    std::shared_ptr<TokenConstraint> m_inner;
};

}  // namespace

class TestDsmlConstraintGeneration : public QObject {
    Q_OBJECT

private slots:
    void randomModelCallsParseAndValidate() {
        const Tokenizer tok = tinyTokenizer();
        GenerationService service(generation_test::tinyModel(), generation_test::smallChunks(), tok);
        const auto offered = tools();
        std::vector<std::string> names;
        for (const auto& t : offered) names.push_back(t.name);
        const auto prompt = chatPrompt(tok, "Plot the weather in Paris.");
        int finished = 0, calls = 0;
        constexpr int kSeeds = 6;
        // All seeds at once: the service batches their decode steps.
        std::vector<Run> runs(kSeeds);
        std::vector<GenerationHandle> handles;
        for (int seed = 1; seed <= kSeeds; ++seed) {
            DsmlConstraintOptions o;
            o.mode = ChatMode::Chat;
            o.choice = ToolChoice::Required;
            o.maxStringChars = 12;
            o.maxArrayItems = 3;
            o.maxCalls = 2;
            SamplingParams sampling;
            sampling.temperature = 2.0f;
            sampling.seed = std::uint64_t(seed);
            handles.push_back(submit(service, prompt, sampling, 800, constraintOrDie(tok, offered, o),
                                     tok.eosId(), false, runs[std::size_t(seed - 1)]));
        }
        for (auto& h : handles) h.wait();
        for (const Run& run : runs) {
            QCOMPARE(run.emptyMasks, 0);
            if (run.reason != FinishReason::Stop) continue;  // ran out of tokens inside the block
            ++finished;
            QCOMPARE(run.tokens.back(), tok.eosId());
            const std::string text = *tok.decode(run.tokens);
            auto parsed = parseCompletion(text, ChatMode::Chat, names);
            QVERIFY2(parsed, (parsed ? std::string() : parsed.error().message + "\n" + text).c_str());
            QVERIFY(!parsed->toolCalls.empty());
            QVERIFY(parsed->content.empty());
            const std::string why = checkCalls(*parsed, offered);
            QVERIFY2(why.empty(), (why + "\n" + text).c_str());
            calls += int(parsed->toolCalls.size());
        }
        QVERIFY2(finished >= kSeeds / 2, std::to_string(finished).c_str());
        QVERIFY(calls >= finished);
    }

    // With max tokens too few for a random model to end its value by itself, the service tells
    // the constraint how many tokens are left and the call is closed in time: a well-formed,
    // valid call and the end token within max tokens, where the same runs blind to the budget
    // run out inside the call.
    void callsAreClosedWithinMaxTokens() {
        const Tokenizer tok = tinyTokenizer();
        GenerationService service(generation_test::tinyModel(), generation_test::smallChunks(), tok);
        std::vector<ToolSchemaSpec> offered;
        for (const auto& t : tools())
            if (t.name == "get_weather") offered.push_back(t);
        const auto prompt = chatPrompt(tok, "Weather in Paris?");
        constexpr int kSeeds = 6, kMaxTokens = 160;
        std::vector<Run> aware(kSeeds), blind(kSeeds);
        std::vector<GenerationHandle> handles;
        for (int seed = 1; seed <= kSeeds; ++seed) {
            DsmlConstraintOptions o;
            o.mode = ChatMode::Chat;
            o.choice = ToolChoice::Required;
            SamplingParams sampling;
            sampling.temperature = 1.0f;
            sampling.seed = std::uint64_t(seed);
            const auto i = std::size_t(seed - 1);
            handles.push_back(submit(service, prompt, sampling, kMaxTokens, constraintOrDie(tok, offered, o),
                                     tok.eosId(), false, aware[i]));
            handles.push_back(submit(service, prompt, sampling, kMaxTokens,
                                     std::make_shared<BudgetBlind>(constraintOrDie(tok, offered, o)),
                                     tok.eosId(), false, blind[i]));
        }
        for (auto& h : handles) h.wait();
        int closedAware = 0, closedBlind = 0;
        for (const Run& run : blind) closedBlind += run.reason == FinishReason::Stop;
        for (const Run& run : aware) {
            QCOMPARE(run.emptyMasks, 0);
            QVERIFY(run.tokens.size() <= std::size_t(kMaxTokens));
            if (run.reason != FinishReason::Stop) continue;  // e.g. no location written in time
            ++closedAware;
            const std::string text = *tok.decode(run.tokens);
            auto parsed = parseCompletion(text, ChatMode::Chat, {"get_weather"});
            QVERIFY2(parsed, (parsed ? std::string() : parsed.error().message + "\n" + text).c_str());
            QCOMPARE(parsed->toolCalls.size(), std::size_t(1));
            const std::string why = checkCalls(*parsed, offered);
            QVERIFY2(why.empty(), (why + "\n" + text).c_str());
        }
        QVERIFY2(closedAware > closedBlind && closedAware >= kSeeds / 2,
                 (std::to_string(closedAware) + " vs " + std::to_string(closedBlind)).c_str());
    }

    void noToolsIsBitIdenticalToNoConstraint() {
        const Tokenizer tok = tinyTokenizer();
        GenerationService service(generation_test::tinyModel(), generation_test::smallChunks(), tok);
        const auto prompt = chatPrompt(tok, "Tell me a story.");
        for (ChatMode mode : {ChatMode::Chat, ChatMode::Thinking}) {
            SamplingParams sampling;
            sampling.temperature = 1.5f;
            sampling.seed = 99;
            Run free, noTools;
            submit(service, prompt, sampling, 48, nullptr, -1, true, free).wait();
            submit(service, prompt, sampling, 48, constraintOrDie(tok, {}, DsmlConstraintOptions{mode}), -1,
                   true, noTools).wait();
            QCOMPARE(noTools.tokens, free.tokens);
            QVERIFY(noTools.logits == free.logits);
            QCOMPARE(free.tokens.size(), std::size_t(48));
        }
    }
};

QTEST_APPLESS_MAIN(TestDsmlConstraintGeneration)
#include "test_dsml_constraint_generation.moc"
