// ctest-labels: unit
// DSML constraint: it accepts every assistant turn of the official vectors token by token; random
// walks over its allowed tokens always give turns that the chat-format parser accepts with
// arguments that satisfy the schemas (checked by an independent validator); specific schema
// and format rules are enforced; the mask is never empty; with no tools it changes nothing.

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>

#include <QFileInfo>
#include <QtTest>

#include "dsml_constraint_test_support.h"

using namespace dsml_test;

namespace {

const std::string kEos = "<｜end▁of▁sentence｜>";
const std::string kOpen = "\n\n<｜DSML｜tool_calls>\n";
const std::string kClose = "</｜DSML｜tool_calls>";

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

DsmlConstraintOptions opts(ChatMode mode, ToolChoice choice = ToolChoice::Auto) {
    DsmlConstraintOptions o;
    o.mode = mode;
    o.choice = choice;
    return o;
}

// Feeds `text` token by token; false (with the offending token in `why`) when a token is masked.
bool feedText(TokenConstraint& c, const Tokenizer& tok, const std::string& text, std::string* why = nullptr) {
    for (std::int32_t id : tok.encode(text, true)) {
        const auto ok = allowedSet(c, tok.vocabSize());
        if (!ok[std::size_t(id)]) {
            if (why) *why = "token " + std::to_string(id) + " \"" + std::string(tok.tokenBytes(id)) + "\" masked";
            return false;
        }
        c.accept(id);
    }
    return true;
}

bool accepts(const Tokenizer& tok, const std::string& turn, ToolChoice choice = ToolChoice::Required) {
    auto c = constraintOrDie(tok, tools(), opts(ChatMode::Chat, choice));
    return feedText(*c, tok, turn);
}

std::string call(const std::string& name, const std::string& params) {
    return kOpen + "<｜DSML｜invoke name=\"" + name + "\">\n" + params + "</｜DSML｜invoke>\n" + kClose;
}

std::string param(const std::string& name, bool isString, const std::string& value) {
    return "<｜DSML｜parameter name=\"" + name + "\" string=\"" + (isString ? "true" : "false") + "\">" +
           value + "</｜DSML｜parameter>\n";
}

// The tools of a vector's input: top-level `tools` or those of any message.
std::vector<ToolSchemaSpec> vectorTools(const std::string& inputJson) {
    const json j = json::parse(inputJson);
    json list = json::array();
    if (j.is_object() && j.contains("tools")) list = j["tools"];
    for (const auto& m : j.is_object() ? j.value("messages", json::array()) : j)
        if (m.contains("tools")) list.insert(list.end(), m["tools"].begin(), m["tools"].end());
    auto t = parseToolSchemas(list.dump());
    if (!t) qFatal("%s", t.error().message.c_str());
    return *t;
}

// A walk under a token budget: from `prefix` (fed whole), `budget` more tokens at most, each
// chosen at random among the allowed ones, preferring plain text (a model that would go on
// writing). Reports whether the mask was ever narrowed by the budget (compared with the same
// state told of plenty of tokens) and the generated ids.
struct BudgetWalk {
    std::vector<std::int32_t> ids;
    bool narrowed = false;
    bool ended = false;  // the end-of-sentence token came within the budget
};

BudgetWalk walkWithBudget(const Tokenizer& tok, const std::vector<ToolSchemaSpec>& offered,
                          const std::string& prefix, std::int64_t budget, std::uint32_t seed) {
    DsmlConstraintOptions o = opts(ChatMode::Chat, ToolChoice::Required);
    auto c = constraintOrDie(tok, offered, o);
    auto plenty = constraintOrDie(tok, offered, o);  // the same walk, never short of tokens
    if (!feedText(*c, tok, prefix) || !feedText(*plenty, tok, prefix)) qFatal("prefix masked");
    std::mt19937 rng(seed);
    BudgetWalk w;
    for (std::int64_t left = budget; left > 0 && !w.ended; --left) {
        c->setTokensLeft(left);
        plenty->setTokensLeft(1000000);
        const auto ok = allowedSet(*c, tok.vocabSize());
        w.narrowed = w.narrowed || ok != allowedSet(*plenty, tok.vocabSize());
        std::vector<std::int32_t> text, any;
        for (std::size_t v = 0; v < ok.size(); ++v) {
            if (!ok[v]) continue;
            any.push_back(std::int32_t(v));
            const std::string_view b = tok.tokenBytes(std::int32_t(v));
            if (!tok.isSpecial(std::int32_t(v)) && !b.empty() && b.find_first_of("<\"\\") == std::string_view::npos)
                text.push_back(std::int32_t(v));
        }
        if (any.empty()) qFatal("empty mask");
        const auto& pool = !text.empty() && rng() % 5 != 0 ? text : any;
        const std::int32_t id = pool[rng() % pool.size()];
        c->accept(id);
        plenty->accept(id);
        w.ids.push_back(id);
        w.ended = id == tok.eosId();
    }
    return w;
}

}  // namespace

class TestDsmlConstraint : public QObject {
    Q_OBJECT

private slots:
    void officialAssistantTurnsAreNeverMasked() {
        if (!QFileInfo::exists(QStringLiteral(ATELIER_SHARED_DIR "/conformance")))
            QSKIP("shared/conformance is not beside the repository");
        const Tokenizer tok = tinyTokenizer();
        int turns = 0, calls = 0;
        for (int n : {1, 3}) {
            const std::string dir = std::string(ATELIER_SHARED_DIR) + "/conformance/dsv4-encoding/";
            const auto offered = vectorTools(readFile(dir + "input_" + std::to_string(n) + ".json"));
            QVERIFY(!offered.empty());
            const std::string out = readFile(dir + "output_" + std::to_string(n) + ".txt");
            const std::string assistant = "<｜Assistant｜>";
            for (std::size_t at = out.find(assistant); at != std::string::npos; at = out.find(assistant, at + 1)) {
                std::size_t start = at + assistant.size();
                const bool thinking = out.compare(start, 7, "<think>") == 0;
                start += thinking ? 7 : 8;  // "<think>" or "</think>"
                const std::size_t end = out.find(kEos, start);
                QVERIFY(end != std::string::npos);
                const std::string turn = out.substr(start, end + kEos.size() - start);
                const ChatMode mode = thinking ? ChatMode::Thinking : ChatMode::Chat;
                auto parsed = parseCompletion(turn, mode);
                QVERIFY2(parsed, parsed ? "" : parsed.error().message.c_str());
                std::vector<ToolChoice> choices{ToolChoice::Auto};
                if (parsed->content.empty() && !parsed->toolCalls.empty()) choices.push_back(ToolChoice::Required);
                for (ToolChoice choice : choices) {
                    auto c = constraintOrDie(tok, offered, opts(mode, choice));
                    std::string why;
                    QVERIFY2(feedText(*c, tok, turn, &why), (why + " in vector " + std::to_string(n)).c_str());
                }
                ++turns;
                calls += int(parsed->toolCalls.size());
            }
        }
        QVERIFY(turns >= 4);
        QVERIFY(calls >= 2);
    }

    void randomWalksGiveValidCallsAndNeverAnEmptyMask() {
        const Tokenizer tok = tinyTokenizer();
        const auto offered = tools();
        std::vector<std::string> names;
        for (const auto& t : offered) names.push_back(t.name);
        int totalCalls = 0;
        for (std::uint32_t seed = 0; seed < 180; ++seed) {
            // Three starts: Required in chat mode; Auto with content that opens the block;
            // Required after reasoning in thinking mode.
            const int kind = int(seed % 3);
            const ChatMode mode = kind == 2 ? ChatMode::Thinking : ChatMode::Chat;
            DsmlConstraintOptions o = opts(mode, kind == 1 ? ToolChoice::Auto : ToolChoice::Required);
            o.maxStringChars = 10;
            o.maxArrayItems = 3;
            o.maxCalls = 3;
            auto c = constraintOrDie(tok, offered, o);
            const std::string prefix = kind == 1 ? "Let me check." + kOpen : kind == 2 ? "Think.</think>" : "";
            std::vector<std::int32_t> ids = tok.encode(prefix, true);
            QVERIFY(feedText(*c, tok, prefix));
            std::mt19937 rng(seed);
            for (int step = 0; step < 4000 && (ids.empty() || ids.back() != tok.eosId()); ++step) {
                const auto ok = allowedSet(*c, tok.vocabSize());
                std::vector<std::int32_t> allowed;
                for (std::size_t v = 0; v < ok.size(); ++v)
                    if (ok[v]) allowed.push_back(std::int32_t(v));
                QVERIFY2(!allowed.empty(), "empty mask");
                const std::int32_t id = allowed[std::uniform_int_distribution<std::size_t>(0, allowed.size() - 1)(rng)];
                c->accept(id);
                ids.push_back(id);
            }
            QCOMPARE(ids.back(), tok.eosId());
            const std::string text = *tok.decode(ids);
            auto parsed = parseCompletion(text, mode, names);
            QVERIFY2(parsed, (parsed ? std::string() : parsed.error().message + "\n" + text).c_str());
            QVERIFY(!parsed->toolCalls.empty());
            QVERIFY(parsed->unknownTools.empty());
            const std::string why = checkCalls(*parsed, offered);
            QVERIFY2(why.empty(), (why + "\n" + text).c_str());
            totalCalls += int(parsed->toolCalls.size());
        }
        QVERIFY(totalCalls >= 180);
    }

    // The masks split into string text and its exits equal those of a whole-vocabulary walk,
    // on walks that favour closing strings and tags so that long values end in every way.
    void fastMasksEqualReferenceMasks() {
        const Tokenizer tok = tinyTokenizer();
        const auto offered = tools();
        {
            // Byte by byte (single-byte tokens): a JSON string may hold most of the end tag,
            // never all of it; a string value may hold it part-way and go on.
            DsmlConstraintOptions o = opts(ChatMode::Chat, ToolChoice::Required);
            auto fast = constraintOrDie(tok, offered, o);
            o.referenceMasks = true;
            auto ref = constraintOrDie(tok, offered, o);
            const std::string text = kOpen + "<｜DSML｜invoke name=\"plot\">\n" +
                                     param("mode", true, "x</｜DSML｜paramete</｜DSML｜paramet") +
                                     "<｜DSML｜parameter name=\"extra\" string=\"false\">{\"k\": \"a</｜DSML｜parameter";
            for (std::size_t i = 0; i < text.size(); ++i) {
                const char c = text[i];
                const auto a = allowedSet(*fast, tok.vocabSize());
                QVERIFY(a == allowedSet(*ref, tok.vocabSize()));
                const std::int32_t id = *tok.tokenId(byteToUnicode(std::uint8_t(c)));
                QVERIFY2(a[std::size_t(id)], (std::to_string(i) + ": " + text.substr(0, i)).c_str());
                fast->accept(id);
                ref->accept(id);
            }
            const auto a = allowedSet(*fast, tok.vocabSize());
            QVERIFY(a == allowedSet(*ref, tok.vocabSize()));
            QVERIFY(!a[std::size_t(*tok.tokenId(">"))]);
            QVERIFY(a[std::size_t(*tok.tokenId("\""))]);
        }
        for (std::uint32_t seed = 0; seed < 40; ++seed) {
            DsmlConstraintOptions o = opts(ChatMode::Chat, ToolChoice::Required);
            o.maxStringChars = seed % 2 ? 4096 : 40;
            o.maxArrayItems = 3;
            o.maxCalls = 2;
            auto fast = constraintOrDie(tok, offered, o);
            o.referenceMasks = true;
            auto ref = constraintOrDie(tok, offered, o);
            std::mt19937 rng(seed);
            std::string text;
            for (int step = 0; step < 3000; ++step) {
                const auto a = allowedSet(*fast, tok.vocabSize());
                QVERIFY2(a == allowedSet(*ref, tok.vocabSize()), ("masks differ after: " + text).c_str());
                std::vector<std::int32_t> allowed, closing;
                for (std::size_t v = 0; v < a.size(); ++v) {
                    if (!a[v]) continue;
                    allowed.push_back(std::int32_t(v));
                    const std::string b(tok.tokenBytes(std::int32_t(v)));
                    if (!b.empty() && (b[0] == '<' || b[0] == '"' || b == "｜DSML｜" || b[0] == '\n' ||
                                       std::string("parameter>").starts_with(b)))
                        closing.push_back(std::int32_t(v));
                }
                const auto& pool = !closing.empty() && rng() % 3 ? closing : allowed;
                const std::int32_t id = pool[rng() % pool.size()];
                fast->accept(id);
                ref->accept(id);
                text += tok.tokenBytes(id);
                if (id == tok.eosId()) break;
            }
        }
    }

    void schemaRulesAreEnforced() {
        const Tokenizer tok = tinyTokenizer();
        const std::string loc = param("location", true, "Paris");
        QVERIFY(accepts(tok, call("get_weather", loc)));
        QVERIFY(accepts(tok, call("get_weather", loc + param("unit", true, "celsius"))));
        QVERIFY(!accepts(tok, call("get_weather", loc + param("unit", true, "kelvin"))));
        QVERIFY(!accepts(tok, call("get_weather", param("unit", true, "celsius"))));  // required
        QVERIFY(!accepts(tok, call("get_weather", loc + loc)));                          // duplicate
        QVERIFY(!accepts(tok, call("get_weather", loc + param("when", true, "now"))));  // unknown
        QVERIFY(!accepts(tok, call("get_time", loc)));                                   // unknown tool
        QVERIFY(!accepts(tok, call("get_weather", param("location", false, "\"Paris\""))));
        const std::string q = param("query", true, "a < b </DSML> \"x\"\n");
        QVERIFY(accepts(tok, call("search", q + param("num_results", false, "30"))));
        QVERIFY(accepts(tok, call("search", q + param("num_results", false, " -7 "))));
        QVERIFY(!accepts(tok, call("search", q + param("num_results", false, "3.5"))));
        QVERIFY(!accepts(tok, call("search", q + param("num_results", false, "03"))));
        QVERIFY(!accepts(tok, call("search", q + param("num_results", true, "3"))));
        // Integer bounds: minimum 1, maximum 500; offset in (-20, -3].
        for (const char* ok : {"1", "500", "37", " 9 "})
            QVERIFY2(accepts(tok, call("search", q + param("page", false, ok))), ok);
        for (const char* bad : {"0", "501", "-3", "5000", "-0", "1000000000000000"})
            QVERIFY2(!accepts(tok, call("search", q + param("page", false, bad))), bad);
        for (const char* ok : {"-3", "-19", "-10"})
            QVERIFY2(accepts(tok, call("search", q + param("offset", false, ok))), ok);
        for (const char* bad : {"-20", "-2", "0", "3", "-100"})
            QVERIFY2(!accepts(tok, call("search", q + param("offset", false, bad))), bad);
        for (const char* ok : {"-2", "-5", "-3"})  // no bound-reaching value starts "-1"
            QVERIFY2(accepts(tok, call("search", q + param("delta", false, ok))), ok);
        for (const char* bad : {"-1", "-6", "2", "-10"})
            QVERIFY2(!accepts(tok, call("search", q + param("delta", false, bad))), bad);
        const std::string pts = param("points", false, R"([{"x": 1.5, "y": -2e3, "label": null}, {"y":0,"x":1}])");
        QVERIFY(accepts(tok, call("plot", pts + param("closed", false, "true"))));
        QVERIFY(!accepts(tok, call("plot", pts + param("closed", false, "yes"))));
        QVERIFY(!accepts(tok, call("plot", pts)));  // closed is required
        QVERIFY(!accepts(tok, call("plot", param("points", false, R"([{"x": 1}])") + param("closed", false, "true"))));
        const std::string base = pts + param("closed", false, "false");
        QVERIFY(accepts(tok, call("plot", base + param("style", false, R"({"color": "red", "width": 2})"))));
        QVERIFY(!accepts(tok, call("plot", base + param("style", false, R"({"color": "blue"})"))));
        QVERIFY(!accepts(tok, call("plot", base + param("style", false, R"({"depth": 1})"))));
        QVERIFY(accepts(tok, call("plot", base + param("mode", true, "fast"))));
        QVERIFY(accepts(tok, call("plot", base + param("mode", false, "4"))));
        QVERIFY(!accepts(tok, call("plot", base + param("mode", false, "true"))));
        QVERIFY(accepts(tok, call("plot", base + param("extra", false, R"({"k": [1, {"a": null}, "s\u00e9\n"]})"))));
        QVERIFY(!accepts(tok, call("plot", base + param("extra", false, R"({"k": [1,]})"))));
        QVERIFY(!accepts(tok, call("plot", base + param("extra", false, R"("\ud800")"))));
        QVERIFY(accepts(tok, kOpen + "<｜DSML｜invoke name=\"now\">\n\n</｜DSML｜invoke>\n" + kClose));
        QVERIFY(!accepts(tok, kOpen + kClose));  // a block holds at least one call
    }

    void contentMayOnlyOpenTheBlockExactly() {
        const Tokenizer tok = tinyTokenizer();
        const std::int32_t dsml = *tok.tokenId("｜DSML｜");
        const std::int32_t think = *tok.tokenId("<think>");
        auto c = constraintOrDie(tok, tools(), opts(ChatMode::Chat));
        auto ok = allowedSet(*c, tok.vocabSize());
        QVERIFY(ok[std::size_t(tok.eosId())]);
        QVERIFY(!ok[std::size_t(dsml)]);
        QVERIFY(!ok[std::size_t(think)]);
        QVERIFY(feedText(*c, tok, "Hi.\n\n<"));
        ok = allowedSet(*c, tok.vocabSize());
        QVERIFY(ok[std::size_t(dsml)]);
        QVERIFY(ok[std::size_t(tok.eosId())]);
        c->accept(dsml);
        ok = allowedSet(*c, tok.vocabSize());  // committed: only "tool_calls>\n" may follow
        QVERIFY(!ok[std::size_t(tok.eosId())]);
        for (std::size_t v = 0; v < ok.size(); ++v)
            if (ok[v]) QVERIFY(std::string(tok.tokenBytes(std::int32_t(v))).starts_with("t"));
        QVERIFY(!accepts(tok, "Hi <think> there" + kEos, ToolChoice::Auto));
        QVERIFY(!accepts(tok, "Hi ｜DSML｜ there" + kEos, ToolChoice::Auto));
        QVERIFY(accepts(tok, "Hi <b>there</b>\n\n<p>" + kEos, ToolChoice::Auto));
        QVERIFY(!accepts(tok, call("now", "\n") + "more", ToolChoice::Auto));
        // After the block only the end of the turn.
        auto d = constraintOrDie(tok, tools(), opts(ChatMode::Chat));
        QVERIFY(feedText(*d, tok, call("now", "\n")));
        ok = allowedSet(*d, tok.vocabSize());
        QCOMPARE(std::count(ok.begin(), ok.end(), true), 1);
        QVERIFY(ok[std::size_t(tok.eosId())]);
    }

    void reasoningIsUnconstrained() {
        const Tokenizer tok = tinyTokenizer();
        auto c = constraintOrDie(tok, tools(), opts(ChatMode::Thinking, ToolChoice::Required));
        for (const std::string piece : {"", "I should call <think> ｜DSML｜ tools", " <｜DSML｜tool_calls> ok"}) {
            QVERIFY(feedText(*c, tok, piece));
            std::mt19937 rng(7);
            std::vector<float> logits(std::size_t(tok.vocabSize()));
            for (auto& l : logits) l = std::normal_distribution<float>(0, 3)(rng);
            const auto before = logits;
            c->maskLogits(logits);
            int changed = 0;
            for (std::size_t v = 0; v < logits.size(); ++v) changed += logits[v] != before[v];
            // Only tokens that would cross "</think>" into a malformed answer may be masked.
            for (std::size_t v = 0; v < logits.size(); ++v)
                if (logits[v] != before[v])
                    QVERIFY(std::string(tok.tokenBytes(std::int32_t(v))).find('>') != std::string::npos);
            QVERIFY(changed <= 2);
        }
        QVERIFY(feedText(*c, tok, "</think>"));
        const auto ok = allowedSet(*c, tok.vocabSize());
        for (std::size_t v = 0; v < ok.size(); ++v)
            if (ok[v]) QVERIFY(std::string(tok.tokenBytes(std::int32_t(v))).starts_with("\n"));
    }

    void noToolsLeavesLogitsUntouched() {
        const Tokenizer tok = tinyTokenizer();
        for (ChatMode mode : {ChatMode::Chat, ChatMode::Thinking}) {
            auto c = constraintOrDie(tok, {}, opts(mode));
            std::mt19937 rng(3);
            for (int step = 0; step < 50; ++step) {
                std::vector<float> logits(std::size_t(tok.vocabSize()));
                for (auto& l : logits) l = std::normal_distribution<float>(0, 3)(rng);
                const auto before = logits;
                c->maskLogits(logits);
                QVERIFY(logits == before);
                c->accept(std::int32_t(rng() % std::uint32_t(tok.vocabSize())));
            }
        }
    }

    // Told how many tokens are left, the constraint closes the call being written in time: a
    // walk that would go on writing a value ends with a well-formed call (the value kept as
    // written so far) and the end token within the budget, whenever the budget narrowed its
    // choices; budgets near the closing cost do narrow them.
    void budgetClosesTheCallInTime() {
        const Tokenizer tok = tinyTokenizer();
        const auto offered = tools();
        std::vector<std::string> names;
        for (const auto& t : offered) names.push_back(t.name);
        const std::string invoke = kOpen + "<｜DSML｜invoke name=\"";
        const std::vector<std::string> prefixes = {
            invoke + "get_weather\">\n<｜DSML｜parameter name=\"location\" string=\"true\">Par",
            invoke + "search\">\n" + param("query", true, "dates") +
                "<｜DSML｜parameter name=\"page\" string=\"false\">4",
            invoke + "plot\">\n" + param("closed", false, "true") +
                "<｜DSML｜parameter name=\"points\" string=\"false\">[{\"x\": 1, \"y\": 2, \"label\": \"a",
        };
        int narrowedRuns = 0;
        for (const std::string& prefix : prefixes) {
            for (std::int64_t budget = 1; budget <= 48; ++budget) {
                for (std::uint32_t seed = 0; seed < 3; ++seed) {
                    const BudgetWalk w = walkWithBudget(tok, offered, prefix, budget, seed);
                    if (!w.narrowed) continue;
                    ++narrowedRuns;
                    const std::string what = prefix + " | budget " + std::to_string(budget) + " | " + *tok.decode(w.ids);
                    QVERIFY2(w.ended, what.c_str());
                    QVERIFY(std::int64_t(w.ids.size()) <= budget);
                    auto parsed = parseCompletion(prefix + *tok.decode(w.ids), ChatMode::Chat, names);
                    QVERIFY2(parsed, (parsed ? std::string() : parsed.error().message + "\n" + what).c_str());
                    QVERIFY(!parsed->toolCalls.empty());
                    const std::string why = checkCalls(*parsed, offered);
                    QVERIFY2(why.empty(), (why + "\n" + what).c_str());
                }
            }
        }
        QVERIFY2(narrowedRuns >= 3 * 3, std::to_string(narrowedRuns).c_str());
        // The value is kept as the model began it (closing never rewrites what was written).
        const std::string prefix = prefixes[0];
        for (std::int64_t budget = 1; budget <= 48; ++budget) {
            const BudgetWalk w = walkWithBudget(tok, offered, prefix, budget, 7);
            if (!w.ended) continue;
            auto parsed = parseCompletion(prefix + *tok.decode(w.ids), ChatMode::Chat, names);
            QVERIFY(parsed);
            const json args = json::parse(parsed->toolCalls.front().arguments);
            const std::string location = args["location"];
            QVERIFY2(location.rfind("Par", 0) == 0, location.c_str());
        }
    }

    // A call that cannot be closed validly (a required parameter missing, or a value not begun)
    // is left alone however few tokens are left: the turn runs out of tokens and its caller
    // reports it as truncated.
    void budgetLeavesAnUnclosableCallAlone() {
        const Tokenizer tok = tinyTokenizer();
        const auto offered = tools();
        const std::string invoke = kOpen + "<｜DSML｜invoke name=\"";
        for (const std::string& prefix :
             {invoke + "get_weather\">\n" + param("unit", true, "celsius"),
              invoke + "get_weather\">\n<｜DSML｜parameter name=\"location\" string=\"",
              kOpen + "<｜DSML｜inv"}) {
            for (std::int64_t left : {1, 2, 3, 5, 8, 13, 30}) {
                auto c = constraintOrDie(tok, offered, opts(ChatMode::Chat, ToolChoice::Required));
                auto free = constraintOrDie(tok, offered, opts(ChatMode::Chat, ToolChoice::Required));
                QVERIFY(feedText(*c, tok, prefix));
                QVERIFY(feedText(*free, tok, prefix));
                c->setTokensLeft(left);
                QVERIFY2(allowedSet(*c, tok.vocabSize()) == allowedSet(*free, tok.vocabSize()),
                         (prefix + " left " + std::to_string(left)).c_str());
            }
        }
    }

    void malformedToolsAreErrors() {
        const Tokenizer tok = tinyTokenizer();
        auto bad = [&](std::vector<ToolSchemaSpec> t) { return !makeDsmlConstraint(tok, std::move(t), opts(ChatMode::Chat)); };
        QVERIFY(bad({{"a\"b", "{}"}}));
        QVERIFY(bad({{"a", "{not json"}}));
        QVERIFY(bad({{"a", R"({"type": "string"})"}}));
        QVERIFY(bad({{"a", "{}"}, {"a", "{}"}}));
        QVERIFY(bad({{"a", "{\"properties\": {\"x\\\"y\": {}}}"}}));
        QVERIFY(!bad({{"a", "{}"}, {"ab", "{}"}}));
        QVERIFY(!parseToolSchemas("{\"tools\": 3}"));
        QVERIFY(!parseToolSchemas("[{\"function\": {}}]"));
        QCOMPARE(parseToolSchemas(toolsJson())->size(), std::size_t(4));
    }
};

QTEST_APPLESS_MAIN(TestDsmlConstraint)
#include "test_dsml_constraint.moc"
