// ctest-labels: unit
// The UTF-8 helpers every layer shares: validUtf8 keeps well-formed text byte for byte and turns
// every other byte (overlong forms, surrogates, past U+10FFFF, stray or missing continuation
// bytes) into U+FFFD; truncateUtf8 never ends inside a character and cuts no more than that;
// Utf8Text gives the same text as validUtf8 however the stream is cut into pieces, and never
// hands out half a character. Checked against a decoder written here from RFC 3629's table.

#include <optional>
#include <random>
#include <string>
#include <vector>

#include <QtTest>

#include "atelier/base/utf8.h"

using namespace atelier::base;

namespace {

const std::string kFffd = "\xEF\xBF\xBD";

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

// RFC 3629 §4: the byte ranges of each well-formed sequence, as the table lists them.
struct Row {
    unsigned char lo[4], hi[4];
    int n;
};
constexpr Row kTable[] = {
    {{0x00}, {0x7F}, 1},
    {{0xC2, 0x80}, {0xDF, 0xBF}, 2},
    {{0xE0, 0xA0, 0x80}, {0xE0, 0xBF, 0xBF}, 3},
    {{0xE1, 0x80, 0x80}, {0xEC, 0xBF, 0xBF}, 3},
    {{0xED, 0x80, 0x80}, {0xED, 0x9F, 0xBF}, 3},
    {{0xEE, 0x80, 0x80}, {0xEF, 0xBF, 0xBF}, 3},
    {{0xF0, 0x90, 0x80, 0x80}, {0xF0, 0xBF, 0xBF, 0xBF}, 4},
    {{0xF1, 0x80, 0x80, 0x80}, {0xF3, 0xBF, 0xBF, 0xBF}, 4},
    {{0xF4, 0x80, 0x80, 0x80}, {0xF4, 0x8F, 0xBF, 0xBF}, 4},
};

// The length of the well-formed sequence at s[i], if there is one.
std::optional<std::size_t> wellFormedAt(const std::string& s, std::size_t i) {
    for (const Row& row : kTable) {
        if (i + std::size_t(row.n) > s.size()) continue;
        bool ok = true;
        for (int k = 0; k < row.n && ok; ++k) {
            const auto b = static_cast<unsigned char>(s[i + std::size_t(k)]);
            ok = b >= row.lo[k] && b <= row.hi[k];
        }
        if (ok) return std::size_t(row.n);
    }
    return std::nullopt;
}

bool isValid(const std::string& s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto n = wellFormedAt(s, i);
        if (!n) return false;
        i += *n;
    }
    return true;
}

// Offsets where a character of the well-formed `s` starts, and its end.
std::vector<std::size_t> boundaries(const std::string& s) {
    std::vector<std::size_t> out{0};
    for (std::size_t i = 0; i < s.size();) {
        i += wellFormedAt(s, i).value();
        out.push_back(i);
    }
    return out;
}

// Random text: mostly characters of every length, some arbitrary bytes when `garbage`.
std::string randomText(std::mt19937& rng, std::size_t chars, bool garbage) {
    const std::vector<std::string> pieces = {"a", " ", "\n", "é", "ß", "€", "世", "界", "\xED\x9F\xBF",
                                             "\xEE\x80\x80", "𝄞", "😀", "\xF4\x8F\xBF\xBF"};
    std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255), chance(0, 9);
    std::string out;
    for (std::size_t i = 0; i < chars; ++i) {
        if (garbage && chance(rng) == 0) out += char(byte(rng));
        else out += pieces[pick(rng)];
    }
    return out;
}

}  // namespace

class TestUtf8 : public QObject {
    Q_OBJECT

private slots:
    void validTextIsKeptByteForByte() {
        const std::string text = "plain, é ß € 世界 \xED\x9F\xBF \xEE\x80\x80 𝄞 😀 \xF4\x8F\xBF\xBF";
        QVERIFY(isValid(text));
        QCOMPARE(validUtf8(text), text);
        QCOMPARE(validUtf8(""), std::string());
        QCOMPARE(validUtf8(std::string("a\0b", 3)), std::string("a\0b", 3));  // NUL is a character
    }

    void everyInvalidByteBecomesOneReplacement() {
        const struct {
            std::string in, out;
        } cases[] = {
            {"\x80", kFffd},                                    // a stray continuation byte
            {"a\xBF" "b", "a" + kFffd + "b"},
            {"\xC0\xAF", repeat(kFffd, 2)},                     // overlong '/'
            {"\xC1\xBF", repeat(kFffd, 2)},
            {"\xE0\x80\xAF", repeat(kFffd, 3)},                 // overlong, three bytes
            {"\xF0\x80\x80\xAF", repeat(kFffd, 4)},             // overlong, four bytes
            {"\xED\xA0\x80", repeat(kFffd, 3)},                 // the surrogate U+D800
            {"\xED\xBF\xBF", repeat(kFffd, 3)},                 // the surrogate U+DFFF
            {"\xF4\x90\x80\x80", repeat(kFffd, 4)},             // U+110000, past the last code point
            {"\xF5\x80\x80\x80", repeat(kFffd, 4)},
            {"\xFE\xFF", repeat(kFffd, 2)},
            {"x\xE2\x82", "x" + repeat(kFffd, 2)},              // cut short at the end
            {"\xE2\x82y", repeat(kFffd, 2) + "y"},              // interrupted by a new character
            {"\xE2\x82\xE2\x82\xAC", repeat(kFffd, 2) + "€"},   // interrupted by a whole one
        };
        for (const auto& c : cases) QCOMPARE(validUtf8(c.in), c.out);
    }

    void randomBytesComeOutValidAndValidTextIsAFixedPoint() {
        std::mt19937 rng(7);
        std::uniform_int_distribution<int> byte(0, 255), length(0, 64);
        for (int round = 0; round < 2000; ++round) {
            std::string in(std::size_t(length(rng)), '\0');
            for (char& c : in) c = char(byte(rng));
            const std::string out = validUtf8(in);
            QVERIFY(isValid(out));
            QCOMPARE(validUtf8(out), out);
            if (isValid(in)) QCOMPARE(out, in);
        }
    }

    void truncationEndsOnAWholeCharacter() {
        QCOMPARE(truncateUtf8("aé", 1), std::string("a"));
        QCOMPARE(truncateUtf8("aé", 2), std::string("a"));   // é is two bytes: not half of it
        QCOMPARE(truncateUtf8("aé", 3), std::string("aé"));
        QCOMPARE(truncateUtf8("€x", 1), std::string());
        QCOMPARE(truncateUtf8("€x", 2), std::string());
        QCOMPARE(truncateUtf8("€x", 3), std::string("€"));
        QCOMPARE(truncateUtf8("𝄞", 3), std::string());
        QCOMPARE(truncateUtf8("𝄞", 4), std::string("𝄞"));
        QCOMPARE(truncateUtf8("abc", 0), std::string());
        QCOMPARE(truncateUtf8("abc", 100), std::string("abc"));
    }

    void anIncompleteLastCharacterIsLeftOut() {
        QCOMPARE(truncateUtf8("ab\xE2\x82", 100), std::string("ab"));  // the start of €
        QCOMPARE(truncateUtf8("ab\xF0\x9F\x98", 100), std::string("ab"));
        QCOMPARE(truncateUtf8("ab\xC3", 100), std::string("ab"));
    }

    void bytesThatCanNeverBeUtf8AreNotTruncationsBusiness() {
        // Kept as they are (validUtf8 marks them): only a character that more bytes could
        // complete is left out.
        QCOMPARE(truncateUtf8("a\xFF", 10), std::string("a\xFF"));
        QCOMPARE(truncateUtf8("a\xC0", 10), std::string("a\xC0"));
        QCOMPARE(truncateUtf8("a\xE0\x80", 10), std::string("a\xE0\x80"));  // overlong already
        QCOMPARE(truncateUtf8("\x80\x80\x80\x80", 3), std::string("\x80\x80\x80"));
    }

    void truncationIsTheLongestWholeCharacterPrefix() {
        std::mt19937 rng(11);
        for (int round = 0; round < 300; ++round) {
            const std::string text = randomText(rng, 20, false);
            const auto cuts = boundaries(text);
            for (std::size_t max = 0; max <= text.size() + 1; ++max) {
                const std::string got = truncateUtf8(text, max);
                std::size_t want = 0;
                for (std::size_t b : cuts)
                    if (b <= max) want = b;
                QCOMPARE(got, text.substr(0, want));
            }
        }
    }

    void streamGivesTheWholeTextsResultHoweverItIsCut() {
        std::mt19937 rng(3);
        for (int round = 0; round < 500; ++round) {
            const std::string text = randomText(rng, 30, round % 2 == 1);
            std::uniform_int_distribution<std::size_t> step(0, 5);
            Utf8Text stream;
            std::string got;
            for (std::size_t at = 0; at < text.size();) {
                const std::size_t n = std::min(text.size() - at, step(rng));
                const std::string piece = stream.push(std::string_view(text).substr(at, n));
                QVERIFY2(isValid(piece), "a piece ends inside a character");
                got += piece;
                at += n;
            }
            got += stream.flush();
            QCOMPARE(got, validUtf8(text));
        }
    }

    void streamHoldsBackHalfACharacterUntilTheRestComes() {
        Utf8Text stream;
        QCOMPARE(stream.push("a\xE4\xBD"), std::string("a"));  // two bytes of 你
        QCOMPARE(stream.push("\xA0!"), std::string("你!"));
        QCOMPARE(stream.push("\xF0\x9F"), std::string());
        QCOMPARE(stream.flush(), repeat(kFffd, 2));  // the stream ended inside a character
        QCOMPARE(stream.flush(), std::string());
    }
};

QTEST_APPLESS_MAIN(TestUtf8)
#include "test_utf8.moc"
