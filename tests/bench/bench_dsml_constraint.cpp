// DSML constraint cost per generated token with a 129,280-token vocabulary (DeepSeek V4's
// size): the built-in byte-level vocabulary plus synthetic words, numbers, punctuation and CJK
// tokens up to 16 bytes. Replays a DSML turn (reasoning, two tool calls with string, enum,
// integer and nested JSON arguments) token by token through maskLogits + accept, with a fresh
// constraint each round. Round 1 starts with a cold mask cache; later rounds find the masks
// that round 1 left in the grammar's shared cache (as a team's second worker would). Reports
// µs per token cold and warm, the worst token, and the trie build. One core (thread CPU time).
// Usage: bench_dsml_constraint

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "atelier/engine/dsml_constraint.h"
#include "atelier/engine/tokenizer.h"
#include "atelier/engine/vocabulary.h"

using namespace atelier::engine;

namespace {

double cpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

std::string byteLevel(const std::string& bytes) {
    std::string out;
    for (char c : bytes) out += byteToUnicode(std::uint8_t(c));
    return out;
}

// Synthetic token byte strings, deterministic.
std::string syntheticToken(std::mt19937& rng) {
    static const char* syllables[] = {"th", "er", "on", "an", "re", "in", "ed", "nd", "ha", "at", "en",
                                      "es", "of", "or", "nt", "ea", "ti", "to", "it", "st", "io", "le",
                                      "is", "ou", "ar", "as", "de", "rt", "ve", "a",  "e",  "i",  "o",
                                      "u",  "s",  "t",  "x",  "q",  "z",  "ing", "ion", "_", "()"};
    static const char* cjk[] = {"的", "一", "是", "不", "了", "人", "我", "在", "有", "他", "这", "中"};
    const int kind = int(rng() % 10);
    std::string s;
    if (kind < 6) {
        if (rng() % 2) s += ' ';
        if (rng() % 8 == 0) s += char('A' + rng() % 26);
        for (int n = 1 + int(rng() % 5); n > 0; --n) s += syllables[rng() % std::size(syllables)];
    } else if (kind < 7) {
        for (int n = 1 + int(rng() % 3); n > 0; --n) s += char('0' + rng() % 10);
    } else if (kind < 9) {
        static const char punct[] = " \n\t{}[]\":,.<>/-_=+*&|;'()!?";
        for (int n = 1 + int(rng() % 4); n > 0; --n) s += punct[rng() % (sizeof(punct) - 1)];
    } else {
        for (int n = 1 + int(rng() % 3); n > 0; --n) s += cjk[rng() % std::size(cjk)];
    }
    return s.substr(0, 16);
}

Vocabulary benchVocabulary(std::size_t size) {
    const Vocabulary base = builtinVocabulary(1024);
    Vocabulary v = base;
    v.tokens.clear(), v.types.clear();
    std::set<std::string> seen;
    std::vector<std::pair<std::string, TokenType>> specials;
    for (std::size_t i = 0; i < base.tokens.size(); ++i) {
        if (base.types[i] == TokenType::Control && i > 2) specials.emplace_back(base.tokens[i], base.types[i]);
        else v.tokens.push_back(base.tokens[i]), v.types.push_back(base.types[i]), seen.insert(base.tokens[i]);
    }
    std::mt19937 rng(1234);
    while (v.tokens.size() + specials.size() < size) {
        const std::string t = byteLevel(syntheticToken(rng));
        if (seen.insert(t).second) v.tokens.push_back(t), v.types.push_back(TokenType::Normal);
    }
    for (auto& [t, type] : specials) v.tokens.push_back(t), v.types.push_back(type);
    return v;
}

const char* kTools = R"([
{"name": "get_weather", "parameters": {"type": "object", "properties": {"location": {"type": "string"},
  "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]}},
{"name": "plot", "parameters": {"type": "object", "properties": {"points": {"type": "array", "items":
  {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"},
  "label": {"type": "string"}}, "required": ["x", "y"]}}, "closed": {"type": "boolean"},
  "width": {"type": "integer"}}, "required": ["points"]}}])";

const char* kTurn =
    "The user wants the weather in Beijing and a chart. I will call both tools.</think>\n\n"
    "<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"get_weather\">\n"
    "<｜DSML｜parameter name=\"location\" string=\"true\">Beijing, the capital of China</｜DSML｜parameter>\n"
    "<｜DSML｜parameter name=\"unit\" string=\"true\">celsius</｜DSML｜parameter>\n</｜DSML｜invoke>\n"
    "<｜DSML｜invoke name=\"plot\">\n<｜DSML｜parameter name=\"points\" string=\"false\">"
    "[{\"x\": 1.5, \"y\": 22, \"label\": \"morning temperature\"}, {\"x\": 2, \"y\": -3.25e1}]"
    "</｜DSML｜parameter>\n<｜DSML｜parameter name=\"width\" string=\"false\">640</｜DSML｜parameter>\n"
    "</｜DSML｜invoke>\n</｜DSML｜tool_calls><｜end▁of▁sentence｜>";

}  // namespace

int main() {
    auto tok = Tokenizer::fromVocabulary(benchVocabulary(129280));
    if (!tok) return std::fprintf(stderr, "%s\n", tok.error().message.c_str()), 1;
    auto tools = parseToolSchemas(kTools);
    if (!tools) return std::fprintf(stderr, "%s\n", tools.error().message.c_str()), 1;
    const std::vector<std::int32_t> ids = tok->encode(kTurn, true);
    std::vector<float> logits(std::size_t(tok->vocabSize()));

    double t0 = cpuSeconds();
    auto first = makeDsmlConstraint(*tok, *tools, ChatMode::Thinking);  // builds the shared trie
    const double buildMs = (cpuSeconds() - t0) * 1e3;
    if (!first) return std::fprintf(stderr, "%s\n", first.error().message.c_str()), 1;

    constexpr int kRounds = 5;
    double total = 0, worst = 0, blockTotal = 0, cold = 0;
    std::size_t blockTokens = 0;
    for (int round = 0; round < kRounds; ++round) {
        if (round == 1) cold = total;
        auto c = *makeDsmlConstraint(*tok, *tools, ChatMode::Thinking);
        bool inBlock = false;
        std::string text;
        for (std::int32_t id : ids) {
            std::fill(logits.begin(), logits.end(), 0.0f);
            const double s = cpuSeconds();
            c->maskLogits(logits);
            c->accept(id);
            const double us = (cpuSeconds() - s) * 1e6;
            if (logits[std::size_t(id)] != 0.0f) return std::fprintf(stderr, "token %d masked\n", id), 1;
            total += us, worst = std::max(worst, us);
            if (inBlock) blockTotal += us, ++blockTokens;
            text += tok->tokenBytes(id);
            inBlock = inBlock || text.find("</think>") != std::string::npos;
        }
    }
    const double n = double(ids.size());
    std::printf("vocabulary %lld tokens, turn %zu tokens (%zu in the answer), trie build %.1f ms\n",
                static_cast<long long>(tok->vocabSize()), ids.size(), blockTokens / kRounds, buildMs);
    std::printf("maskLogits+accept: cold %.1f us/token, warm %.1f us/token, worst %.0f us; "
                "answer part %.1f us/token over all rounds\n",
                cold / n, (total - cold) / (n * (kRounds - 1)), worst,
                blockTokens ? blockTotal / double(blockTokens) : 0.0);
    return 0;
}
