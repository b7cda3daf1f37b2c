// ctest-labels: unit
// ctest-libs: z
// The tokenizer against Hugging Face: ids identical to the JS port of HF tokenizers on
// DeepSeek V3's real tokenizer.json (tests/data/tokenizer/), byte-exact round trips (also for
// invalid UTF-8), the streaming detokenizer, special-token handling, and the built-in vocabulary.

#include <QtTest>

#include <atomic>
#include <fstream>
#include <thread>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include "atelier/engine/chat_format.h"
#include "atelier/engine/tokenizer.h"

using namespace atelier::engine;

namespace {

const std::string kDataDir = std::string(ATELIER_SOURCE_DIR) + "/tests/data/tokenizer/";

std::string readGzip(const std::string& path) {
    std::string out;
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) return out;
    char buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, std::size_t(n));
    gzclose(f);
    return out;
}

nlohmann::json readJson(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return nlohmann::json::parse(in);
}

// True when `s` is well-formed UTF-8 (what a streamed chunk of valid text must be).
bool isValidUtf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n;
    }
    return true;
}

std::string randomBytes(std::mt19937& rng, std::size_t maxLen) {
    std::uniform_int_distribution<std::size_t> len(0, maxLen);
    std::uniform_int_distribution<int> byte(0, 255), kind(0, 3);
    const char* pieces[] = {" the", "\n\n", "  ", "中文", "é", "😀", "123", "<｜User｜>"};
    std::string s;
    const std::size_t n = len(rng);
    while (s.size() < n) {
        if (kind(rng) == 0) s += pieces[std::size_t(byte(rng)) % 8];
        else s.push_back(char(byte(rng)));
    }
    return s;
}

std::string streamAll(const Tokenizer& t, const std::vector<TokenId>& ids, bool& chunksValid) {
    StreamingDetokenizer stream(t);
    std::string all;
    chunksValid = true;
    for (TokenId id : ids) {
        const std::string chunk = stream.push(id);
        chunksValid = chunksValid && isValidUtf8(chunk);
        all += chunk;
    }
    return all + stream.flush();
}

}  // namespace

class TestTokenizer : public QObject {
    Q_OBJECT

    std::optional<Tokenizer> m_deepseek;
    Tokenizer m_builtin = *Tokenizer::fromVocabulary(builtinVocabulary(1024));
    std::vector<std::string> m_corpus;

private slots:
    void initTestCase() {
        const std::string json = readGzip(kDataDir + "deepseek_v3_tokenizer.json.gz");
        QVERIFY2(!json.empty(), "cannot read deepseek_v3_tokenizer.json.gz");
        auto t = Tokenizer::fromJson(json, "deepseek_v3_tokenizer.json");
        QVERIFY2(t.has_value(), t ? "" : t.error().message.c_str());
        m_deepseek = std::move(*t);
        m_corpus = readJson(kDataDir + "corpus.json").get<std::vector<std::string>>();
        QVERIFY(m_corpus.size() > 100);
    }

    void idsMatchHuggingFaceOnCorpus() {
        const auto expected = readJson(kDataDir + "expected_ids.json");
        QCOMPARE(expected.size(), m_corpus.size());
        for (std::size_t i = 0; i < m_corpus.size(); ++i) {
            const auto withSpecial = expected[i]["special"].get<std::vector<TokenId>>();
            const auto plain = expected[i]["plain"].get<std::vector<TokenId>>();
            const QByteArray what = QByteArray("corpus entry ") + QByteArray::number(qulonglong(i)) + ": " +
                                    QByteArray::fromStdString(m_corpus[i]).left(80);
            QVERIFY2(m_deepseek->encode(m_corpus[i], true) == withSpecial, what.constData());
            QVERIFY2(m_deepseek->encode(m_corpus[i], false) == plain, what.constData());
        }
    }

    void concurrentEncodesAgree() {
        // encode() is documented thread-safe (shared word cache); run it from four threads.
        const auto expected = readJson(kDataDir + "expected_ids.json");
        std::vector<std::vector<TokenId>> reference;
        for (const auto& e : expected) reference.push_back(e["special"].get<std::vector<TokenId>>());
        const Tokenizer* t = &*m_deepseek;
        std::atomic<int> mismatches{0};
        std::vector<std::thread> threads;
        for (int k = 0; k < 4; ++k) {
            threads.emplace_back([&, k] {
                for (std::size_t i = 0; i < m_corpus.size(); ++i) {
                    const std::size_t j = (i + std::size_t(k) * 37) % m_corpus.size();
                    if (t->encode(m_corpus[j], true) != reference[j]) ++mismatches;
                }
            });
        }
        for (auto& th : threads) th.join();
        QCOMPARE(mismatches.load(), 0);
    }

    void vocabularyFacts() {
        QCOMPARE(m_deepseek->vocabSize(), std::int64_t(128815));
        QCOMPARE(m_deepseek->bosId(), 0);
        QCOMPARE(m_deepseek->eosId(), 1);
        QCOMPARE(m_deepseek->tokenId("<｜User｜>").value_or(-1), 128803);
        QVERIFY(m_deepseek->isSpecial(0));
        QVERIFY(!m_deepseek->isSpecial(128803));  // <｜User｜> is a non-special added token in V3
        QCOMPARE(std::string(m_deepseek->tokenBytes(*m_deepseek->tokenId("Ġthe"))), std::string(" the"));
    }

    void decodeInvertsEncodeOnCorpus() {
        for (const auto& text : m_corpus) {
            for (bool special : {false, true}) {
                auto decoded = m_deepseek->decode(m_deepseek->encode(text, special));
                QVERIFY(decoded.has_value());
                QCOMPARE(*decoded, text);
            }
        }
    }

    void randomByteStringsRoundTrip() {
        std::mt19937 rng(7);
        for (int i = 0; i < 300; ++i) {
            const std::string s = randomBytes(rng, 120);
            auto decoded = m_deepseek->decode(m_deepseek->encode(s, i % 2 == 0));
            QVERIFY(decoded.has_value());
            QVERIFY2(*decoded == s, ("random string " + std::to_string(i)).c_str());
        }
    }

    void streamingEqualsWholeDecode() {
        std::mt19937 rng(11);
        for (const auto& text : m_corpus) {
            const auto ids = m_deepseek->encode(text, true);
            bool chunksValid = false;
            QCOMPARE(streamAll(*m_deepseek, ids, chunksValid), *m_deepseek->decode(ids));
            QVERIFY2(chunksValid, "a streamed chunk of valid UTF-8 text split a character");
        }
        for (int i = 0; i < 200; ++i) {
            const auto ids = m_deepseek->encode(randomBytes(rng, 80));
            bool chunksValid = false;
            QCOMPARE(streamAll(*m_deepseek, ids, chunksValid), *m_deepseek->decode(ids));
        }
    }

    void streamingHoldsBackSplitCharacter() {
        // "😀" is 4 bytes; byte tokens deliver it one byte at a time.
        const std::string emoji = "\xF0\x9F\x98\x80";
        StreamingDetokenizer stream(*m_deepseek);
        std::string out;
        for (int i = 0; i < 3; ++i) {
            const auto id = m_deepseek->tokenId(byteToUnicode(std::uint8_t(emoji[std::size_t(i)])));
            QVERIFY(id.has_value());
            QCOMPARE(stream.push(*id), std::string());
        }
        QCOMPARE(stream.push(*m_deepseek->tokenId(byteToUnicode(0x80))), emoji);
        QCOMPARE(stream.flush(), std::string());
    }

    void specialTokensOnlyWithSpecial() {
        const std::string text = "<｜begin▁of▁sentence｜>hi<｜User｜>";
        const auto with = m_deepseek->encode(text, true);
        const auto without = m_deepseek->encode(text, false);
        QCOMPARE(with.front(), 0);
        QCOMPARE(with.back(), 128803);
        for (TokenId id : without) QVERIFY(!m_deepseek->isSpecial(id));
        QCOMPARE(without.back(), 128803);  // non-special added tokens are always matched
        QCOMPARE(*m_deepseek->decode(without), text);
    }

    // Content can never forge a turn: plain tokenization (what `tokenize` prints without
    // --special, and how every piece of chat content is encoded) matches no added token, so
    // each marker string becomes ordinary text and decodes back to itself.
    void contentNeverYieldsAnAddedToken() {
        for (const Tokenizer* t : {&*m_deepseek, &m_builtin}) {
            const auto& v = t->vocabulary();
            int markers = 0;
            for (std::size_t id = 0; id < v.tokens.size(); ++id) {
                if (v.types[id] != TokenType::Control && v.types[id] != TokenType::UserDefined) continue;
                ++markers;
                const std::string& text = v.tokens[id];
                const auto ids = t->encodeContent("x " + text + " y");
                for (TokenId got : ids) {
                    const auto type = v.types[std::size_t(got)];
                    QVERIFY2(type != TokenType::Control && type != TokenType::UserDefined, text.c_str());
                }
                QCOMPARE(*t->decode(ids), "x " + text + " y");
            }
            QVERIFY(markers >= 5);
        }
    }

    // For any content X, a one-message chat's prompt ids are the empty message's with the plain
    // ids of X inserted after <｜begin▁of▁sentence｜><｜User｜>: markers come only from the template.
    void chatContentIsTokenizedAsPlainText() {
        std::vector<std::string> contents = {"", "hello <｜Assistant｜> x", "a<｜end▁of▁sentence｜>b",
                                             "<think>", "</think> done", "<tool_result>x</tool_result>"};
        for (const std::string& m : deepseekV4SpecialTokens()) contents.push_back(m);
        for (std::size_t i = 0; i < m_corpus.size(); i += 7) contents.push_back(m_corpus[i]);
        for (const Tokenizer* t : {&*m_deepseek, &m_builtin}) {
            for (ChatMode mode : {ChatMode::Chat, ChatMode::Thinking}) {
                ChatMessage empty;
                empty.content = "";
                const auto base = encodeChatTokens(*t, {empty}, {mode});
                QVERIFY(base.has_value());
                QCOMPARE(base->at(0), t->bosId());
                for (const std::string& x : contents) {
                    ChatMessage user;
                    user.content = x;
                    auto expected = *base;
                    const auto plain = t->encodeContent(x);
                    expected.insert(expected.begin() + 2, plain.begin(), plain.end());
                    const auto got = encodeChatTokens(*t, {user}, {mode});
                    QVERIFY(got.has_value());
                    QVERIFY2(*got == expected, x.substr(0, 60).c_str());
                }
            }
        }
    }

    // Content without marker strings tokenizes exactly as the whole rendered prompt does with
    // added tokens matched (what the official encoder's users do), so nothing else changed.
    void benignChatPromptsTokenizeAsTheWholeText() {
        for (std::size_t i = 0; i < m_corpus.size(); i += 3) {
            const std::string& x = m_corpus[i];
            if (m_deepseek->encode(x, true) != m_deepseek->encodeContent(x)) continue;  // has markers
            ChatMessage system, user, assistant, next;
            system.role = ChatRole::System;
            system.content = "You are terse.";
            user.content = x;
            assistant.role = ChatRole::Assistant;
            assistant.content = x;
            assistant.reasoningContent = "thought";
            next.content = "again";
            const std::vector<ChatMessage> chat = {system, user, assistant, next};
            auto text = encodeChat(chat, {ChatMode::Thinking});
            auto ids = encodeChatTokens(*m_deepseek, chat, {ChatMode::Thinking});
            QVERIFY(text && ids);
            QVERIFY2(*ids == m_deepseek->encode(*text, true), x.substr(0, 60).c_str());
        }
    }

    void longRunsSplitLikeShortOnes() {
        // HF semantics on inputs far longer than the word cache's limit: "\s+(?!\S)" leaves the
        // last space to the word, and digits go in groups of three.
        for (std::size_t n : {std::size_t(1000), std::size_t(30000)}) {
            auto whole = m_deepseek->encode(std::string(n, ' ') + "a");
            auto expected = m_deepseek->encode(std::string(n - 1, ' '));
            const auto tail = m_deepseek->encode(" a");
            expected.insert(expected.end(), tail.begin(), tail.end());
            QVERIFY(whole == expected);
            const auto digits = m_deepseek->encode(std::string(3 * n, '7'));
            const auto group = m_deepseek->encode("777");
            QCOMPARE(group.size(), std::size_t(1));
            QVERIFY(digits == std::vector<TokenId>(n, group[0]));
        }
    }

    void decodeRejectsUnknownIds() {
        const std::vector<TokenId> ids = {5, 999999};
        auto r = m_deepseek->decode(ids);
        QVERIFY(!r.has_value());
        QVERIFY(r.error().message.find("position 1") != std::string::npos);
    }

    void vocabularyPathMatchesJsonPath() {
        // What a GGUF carries (tokenizer.ggml.*) must tokenize exactly like the tokenizer.json.
        const Vocabulary& v = m_deepseek->vocabulary();
        QCOMPARE(v.preTokenizer, std::string("deepseek-v3"));
        auto t = Tokenizer::fromVocabulary(v);
        QVERIFY(t.has_value());
        for (const auto& text : m_corpus) {
            QVERIFY(t->encode(text, true) == m_deepseek->encode(text, true));
            QVERIFY(t->encode(text, false) == m_deepseek->encode(text, false));
        }
    }

    void builtinVocabularyLayoutAndRealMerges() {
        const Vocabulary v = builtinVocabulary(1024);
        QCOMPARE(v.tokens.size(), std::size_t(1024));
        QCOMPARE(v.tokens[0], std::string("<｜begin▁of▁sentence｜>"));
        QCOMPARE(v.tokens[1], std::string("<｜end▁of▁sentence｜>"));
        for (int b = 0; b < 256; ++b) QCOMPARE(v.tokens[std::size_t(3 + b)], byteToUnicode(std::uint8_t(b)));
        const auto& specials = deepseekV4SpecialTokens();
        for (std::size_t i = 0; i < specials.size(); ++i)
            QCOMPARE(v.tokens[1024 - specials.size() + i], specials[i]);
        for (auto type : v.types) QVERIFY(type != TokenType::Unused);  // 1024 is filled by merges
        QVERIFY(v.merges.size() >= 1024 - 259 - specials.size());
        auto t = Tokenizer::fromVocabulary(v);
        QVERIFY(t.has_value());
        // Text the trainer never saw still compresses well below one token per byte.
        const std::string prose = "The person who writes the tests reads the answer and checks the model.";
        const auto ids = t->encode(prose);
        QVERIFY2(ids.size() * 3 < prose.size(), std::to_string(ids.size()).c_str());
        QCOMPARE(*t->decode(ids), prose);
        QCOMPARE(t->encode("<｜User｜>", true), std::vector<TokenId>{TokenId(1024 - specials.size())});
    }

    void builtinVocabularyIsDeterministicAndNested() {
        const Vocabulary small = builtinVocabulary(1024), large = builtinVocabulary(2048);
        QVERIFY(small.tokens == builtinVocabulary(1024).tokens);
        QVERIFY(small.merges == builtinVocabulary(1024).merges);
        QVERIFY(small.merges.size() <= large.merges.size());
        QVERIFY(std::equal(small.merges.begin(), small.merges.end(), large.merges.begin()));
    }

    void builtinVocabularyRoundTripsThroughTokenizerJson() {
        for (std::int64_t size : {std::int64_t(1024), std::int64_t(32768)}) {
            const Vocabulary v = builtinVocabulary(size);
            const std::string json = toTokenizerJson(v);
            auto fromJson = Tokenizer::fromJson(json, "built-in tokenizer.json");
            QVERIFY2(fromJson.has_value(), fromJson ? "" : fromJson.error().message.c_str());
            auto fromVocab = Tokenizer::fromVocabulary(v);
            QVERIFY(fromVocab.has_value());
            const Vocabulary& back = fromJson->vocabulary();
            QVERIFY(back.tokens == v.tokens);
            QVERIFY(back.types == v.types);
            QVERIFY(back.merges == v.merges);
            QCOMPARE(back.bosId, v.bosId);
            QCOMPARE(back.eosId, v.eosId);
            QCOMPARE(back.padId, v.padId);
            QCOMPARE(back.preTokenizer, v.preTokenizer);
            for (const auto& text : m_corpus) {
                for (bool special : {false, true}) {
                    const auto ids = fromVocab->encode(text, special);
                    QVERIFY(fromJson->encode(text, special) == ids);
                    QCOMPARE(*fromVocab->decode(ids), text);
                }
            }
        }
    }

    void mergesInBothJsonForms() {
        for (const char* merges : {R"(["a b", "ab c"])", R"([["a", "b"], ["ab", "c"]])"}) {
            const std::string json = std::string(R"({"model":{"type":"BPE","vocab":{"a":0,"b":1,"c":2,"ab":3,"abc":4},)") +
                                     R"("merges":)" + merges + "}}";
            auto t = Tokenizer::fromJson(json, "tiny.json");
            QVERIFY2(t.has_value(), t ? "" : t.error().message.c_str());
            QCOMPARE(t->encode("abcab"), (std::vector<TokenId>{4, 3}));
            QCOMPARE(t->vocabulary().merges, (std::vector<std::string>{"a b", "ab c"}));
        }
        QVERIFY(!Tokenizer::fromJson(R"({"model":{"vocab":{"a":0},"merges":[5]}})", "x.json").has_value());
        QVERIFY(!Tokenizer::fromJson(R"({"model":{"vocab":{"a":"zero"},"merges":[]}})", "x.json").has_value());
    }

    void malformedJsonIsAnError() {
        QVERIFY(!Tokenizer::fromJson("{not json", "x.json").has_value());
        QVERIFY(!Tokenizer::fromJson(R"({"model":{"vocab":{"a":0},"merges":["a b"]}})", "x.json").has_value());
        QVERIFY(!Tokenizer::fromFile("/nonexistent/tokenizer.json").has_value());
    }
};

QTEST_APPLESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"
