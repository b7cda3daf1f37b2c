// ctest-labels: unit
// Malformed GGUF files give a clear error naming the file, the key or tensor and the byte offset,
// never a crash: truncation at every byte, lying lengths and counts, bad offsets and sizes,
// unknown types, and deepseek4-level faults (wrong key type, missing key, missing or misshapen
// tensor, a type llama.cpp would not accept, an I8 (plain int8) weight).

#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>
#include <vector>

#include <QTemporaryDir>
#include <QtTest>

#include "../../engine/src/model_io/gguf.h"
#include "../../engine/src/model_io/gguf_builder.h"
#include "../../engine/src/model_io/gguf_reader.h"
#include "gguf_test_model.h"

using namespace atelier::engine;
using Bytes = std::vector<std::byte>;

namespace {

const char* kName = "mem.gguf";

Bytes headerOnly() {
    gguf::GgufBuilder b;
    b.addString("general.architecture", "deepseek4");
    b.addU32("x.u32", 7);
    b.addStringArray("x.strings", {"a", "bc", ""});
    b.addI32Array("x.ints", {1, -2, 3});
    b.addF32("x.f", 1.5f);
    b.addBool("x.b", true);
    return b.toBytes();
}

Bytes withTensors() {
    gguf::GgufBuilder b;
    b.addU32("x.u32", 7);
    b.addStringArray("x.strings", {"a", "bc"});
    auto fill = [](std::byte* o, std::size_t n) { for (std::size_t i = 0; i < n; ++i) o[i] = std::byte(i * 7); };
    b.addTensor("tensor.alpha", gguf::GgmlType::F32, {8}, fill);
    b.addTensor("tensor.beta", gguf::GgmlType::Q8_0, {32, 2}, fill);
    b.addTensor("tensor.gamma", gguf::GgmlType::I32, {3}, fill);
    return b.toBytes();
}

// Position of the text of a length-prefixed GGUF string equal to `s`.
std::size_t findString(const Bytes& b, std::string_view s) {
    Bytes pattern(8);
    const std::uint64_t n = s.size();
    std::memcpy(pattern.data(), &n, 8);
    for (char ch : s) pattern.push_back(std::byte(ch));
    auto it = std::search(b.begin(), b.end(), pattern.begin(), pattern.end());
    if (it == b.end()) qFatal("string %s not found", std::string(s).c_str());
    return std::size_t(it - b.begin()) + 8;
}

template <typename T>
void poke(Bytes& b, std::size_t pos, T v) {
    std::memcpy(b.data() + pos, &v, sizeof(T));
}

// Field offsets inside the tensor info of `name`: n_dims, ne[i], type, offset.
struct InfoAt {
    std::size_t dims, ne, type, offset;
};
InfoAt tensorInfo(const Bytes& b, std::string_view name) {
    const std::size_t dims = findString(b, name) + name.size();
    std::uint32_t n;
    std::memcpy(&n, b.data() + dims, 4);
    return {dims, dims + 4, dims + 4 + 8 * n, dims + 8 + 8 * n};
}

gguf::GgufFile parseOk(const Bytes& b) {
    auto r = gguf::parse(b, kName);
    if (!r) qFatal("%s", r.error().message.c_str());
    return *r;
}

bool failsWith(const atelier::Error& e, std::initializer_list<const char*> parts, const char* file = kName) {
    bool ok = e.code == atelier::ErrorCode::BadInput && e.message.find(file) != std::string::npos &&
              e.message.find("byte") != std::string::npos;
    for (const char* p : parts) ok = ok && e.message.find(p) != std::string::npos;
    if (!ok) qWarning("unexpected error: %s", e.message.c_str());
    return ok;
}

bool parseFails(const Bytes& b, std::initializer_list<const char*> parts) {
    auto r = gguf::parse(b, kName);
    if (r) {
        qWarning("parsed although malformed");
        return false;
    }
    return failsWith(r.error(), parts);
}

}  // namespace

class TestGgufMalformed : public QObject {
    Q_OBJECT
private slots:
    void wellFormedFilesParse() {
        const auto f = parseOk(headerOnly());
        QCOMPARE(std::get<std::uint64_t>(f.find("x.u32")->scalar), std::uint64_t(7));
        QVERIFY((f.find("x.strings")->strings == std::vector<std::string>{"a", "bc", ""}));
        QCOMPARE(f.find("x.ints")->count, std::uint64_t(3));
        QCOMPARE(std::get<bool>(f.find("x.b")->scalar), true);
        const Bytes t = withTensors();
        const auto g = parseOk(t);
        QCOMPARE(g.tensors.size(), std::size_t(3));
        QCOMPARE(g.findTensor("tensor.beta")->nbytes, std::uint64_t(2 * 34));
        QCOMPARE(g.tensorData(*g.findTensor("tensor.alpha"))[1], std::byte(7));
    }

    void truncationAtEveryByteIsAnError() {
        for (const Bytes& full : {headerOnly(), withTensors()}) {
            for (std::size_t n = 0; n < full.size(); ++n) {
                const Bytes cut(full.begin(), full.begin() + std::ptrdiff_t(n));
                auto r = gguf::parse(cut, kName);
                if (r) QFAIL(qPrintable(QString("a file cut to %1 of %2 bytes parsed").arg(n).arg(full.size())));
                QVERIFY(failsWith(r.error(), {}));
            }
        }
    }

    void badMagicAndVersion() {
        Bytes b = headerOnly();
        b[0] = std::byte('X');
        QVERIFY(parseFails(b, {"bad magic", "byte 0"}));
        b = headerOnly();
        poke<std::uint32_t>(b, 4, 2);
        QVERIFY(parseFails(b, {"unsupported GGUF version 2", "byte 4"}));
    }

    void countsThatCannotFit() {
        Bytes b = headerOnly();
        poke<std::uint64_t>(b, 8, std::uint64_t(1) << 40);
        QVERIFY(parseFails(b, {"tensor count"}));
        b = headerOnly();
        poke<std::uint64_t>(b, 16, ~std::uint64_t(0));
        QVERIFY(parseFails(b, {"metadata count"}));
    }

    void stringAndArrayLengthsThatLie() {
        Bytes b = headerOnly();
        poke<std::uint64_t>(b, 24, std::uint64_t(1) << 50);  // the first key's length
        QVERIFY(parseFails(b, {"length", "runs past the end", "byte 24"}));
        b = headerOnly();
        const std::size_t strings = findString(b, "x.strings") + 9 + 4 + 4;  // type, elem type
        poke<std::uint64_t>(b, strings, std::uint64_t(1) << 60);
        QVERIFY(parseFails(b, {"x.strings", "claims"}));
        b = headerOnly();
        poke<std::uint64_t>(b, strings, 4);  // one string more than there is: reads into x.ints
        QVERIFY(!gguf::parse(b, kName).has_value());
        b = headerOnly();
        const std::size_t ints = findString(b, "x.ints") + 6 + 4 + 4;
        poke<std::uint64_t>(b, ints, std::uint64_t(1) << 61);
        QVERIFY(parseFails(b, {"x.ints", "claims"}));
        b = headerOnly();
        poke<std::uint64_t>(b, findString(b, "a") - 8, 1000);  // an element's length
        QVERIFY(parseFails(b, {"'x.strings'[0]", "runs past the end"}));
    }

    void unknownValueTypes() {
        Bytes b = headerOnly();
        poke<std::uint32_t>(b, findString(b, "x.u32") + 5, 13);
        QVERIFY(parseFails(b, {"x.u32", "unknown type 13"}));
        b = headerOnly();
        poke<std::uint32_t>(b, findString(b, "x.ints") + 6 + 4, 9);  // an array of arrays
        QVERIFY(parseFails(b, {"x.ints", "array of arrays"}));
        b = headerOnly();
        poke<std::uint8_t>(b, findString(b, "x.b") + 3 + 4, 2);
        QVERIFY(parseFails(b, {"x.b", "bool"}));
    }

    void tensorOffsetsAndSizes() {
        Bytes b = withTensors();
        poke<std::uint64_t>(b, tensorInfo(b, "tensor.beta").offset, std::uint64_t(1) << 20);
        QVERIFY(parseFails(b, {"tensor.beta", "runs past the end"}));
        b = withTensors();
        poke<std::uint64_t>(b, tensorInfo(b, "tensor.beta").offset, ~std::uint64_t(31));
        QVERIFY(parseFails(b, {"tensor.beta", "runs past the end"}));
        b = withTensors();
        poke<std::uint64_t>(b, tensorInfo(b, "tensor.beta").offset, 36);
        QVERIFY(parseFails(b, {"tensor.beta", "not a multiple of the alignment 32"}));
        b = withTensors();
        poke<std::uint64_t>(b, tensorInfo(b, "tensor.gamma").offset, 32);  // where beta lives
        QVERIFY(parseFails(b, {"tensor.gamma", "overlaps", "tensor.beta"}));
        b = withTensors();
        poke<std::int64_t>(b, tensorInfo(b, "tensor.beta").ne + 8, std::int64_t(1) << 40);
        QVERIFY(parseFails(b, {"tensor.beta", "more than the whole file"}));
        b = withTensors();
        poke<std::int64_t>(b, tensorInfo(b, "tensor.beta").ne + 8, 3);  // 3 rows: 102 bytes, into gamma
        QVERIFY(parseFails(b, {"tensor.beta"}));
        b = withTensors();
        poke<std::int64_t>(b, tensorInfo(b, "tensor.alpha").ne, -1);
        QVERIFY(parseFails(b, {"tensor.alpha", "ne[0]"}));
        b = withTensors();
        poke<std::uint32_t>(b, tensorInfo(b, "tensor.alpha").dims, 5);
        QVERIFY(parseFails(b, {"tensor.alpha", "5 dimensions"}));
    }

    void unknownAndMisusedGgmlTypes() {
        Bytes b = withTensors();
        poke<std::uint32_t>(b, tensorInfo(b, "tensor.beta").type, 77);  // no ggml type
        QVERIFY(parseFails(b, {"tensor 'tensor.beta' has unknown ggml type 77", "(at byte "}));
        for (const auto& [code, name] : std::vector<std::pair<std::uint32_t, std::string>>{
                 {34, "TQ1_0"}, {35, "TQ2_0"}, {40, "NVFP4"}, {9, "Q8_1"}, {15, "Q8_K"}, {31, "Q4_0_4_4"}}) {
            b = withTensors();
            poke<std::uint32_t>(b, tensorInfo(b, "tensor.beta").type, code);  // known, refused by name
            const std::string want = "tensor 'tensor.beta' has ggml type " + name + " (" + std::to_string(code) +
                                     "), which Atelier does not read";
            QVERIFY(parseFails(b, {want.c_str()}));
        }
        b = withTensors();
        poke<std::uint32_t>(b, tensorInfo(b, "tensor.beta").type, 16);  // IQ2_XXS with ne[0] = 32
        QVERIFY(parseFails(b, {"tensor.beta", "IQ2_XXS", "not a multiple of 256"}));
        b = withTensors();
        poke<std::uint32_t>(b, tensorInfo(b, "tensor.beta").type, 12);  // Q4_K with ne[0] = 32
        QVERIFY(parseFails(b, {"tensor.beta", "not a multiple of 256"}));
        b = withTensors();
        poke<std::uint32_t>(b, tensorInfo(b, "tensor.gamma").type, 8);  // Q8_0 with ne[0] = 3
        QVERIFY(parseFails(b, {"tensor.gamma", "not a multiple of 32"}));
    }

    void alignmentKey() {
        gguf::GgufBuilder b;
        b.addI32("general.alignment", 32);
        QVERIFY(parseFails(b.toBytes(), {"general.alignment", "expected u32"}));
        gguf::GgufBuilder c;
        c.addU32("general.alignment", 48);
        QVERIFY(parseFails(c.toBytes(), {"general.alignment", "power of two"}));
        gguf::GgufBuilder d;
        d.addU32("k", 1);
        d.addU32("k", 2);
        QVERIFY(parseFails(d.toBytes(), {"duplicate metadata key 'k'"}));
    }

    void deepseek4Faults() {
        QTemporaryDir dir;
        const std::filesystem::path root = dir.path().toStdString();
        CreateModelOptions o;
        o.config = testing::microGgufConfig();
        QVERIFY(writeGgufModel(o, root / "ok.gguf").has_value());
        std::ifstream in(root / "ok.gguf", std::ios::binary);
        const std::vector<char> raw{std::istreambuf_iterator<char>(in), {}};
        const Bytes good(reinterpret_cast<const std::byte*>(raw.data()),
                         reinterpret_cast<const std::byte*>(raw.data()) + raw.size());
        int n = 0;
        auto openPatched = [&](const Bytes& b) {
            const auto p = root / ("bad" + std::to_string(n++) + ".gguf");
            std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
            auto r = openGgufModel(p);
            return r ? atelier::Error{atelier::ErrorCode::Internal, "opened"} : r.error();
        };
        auto fileOf = [&] { return (root / ("bad" + std::to_string(n - 1) + ".gguf")).string(); };

        Bytes b = good;
        poke<std::uint32_t>(b, findString(b, "deepseek4.expert_count") + 22, 5);  // u32 -> i32
        auto e = openPatched(b);
        QVERIFY(failsWith(e, {"deepseek4.expert_count", "type i32", "expected u32"}, fileOf().c_str()));

        b = good;
        poke<std::uint32_t>(b, findString(b, "deepseek4.expert_count") + 22 + 4, 1u << 30);
        e = openPatched(b);
        QVERIFY(failsWith(e, {"deepseek4.expert_count", "exceeds"}, fileOf().c_str()));

        b = good;  // compress_ratios: type, element type, count, then the i32 entries
        poke<std::int32_t>(b, findString(b, "deepseek4.attention.compress_ratios") + 35 + 4 + 4 + 8, 16);
        e = openPatched(b);
        QVERIFY(failsWith(e, {"deepseek4.attention.compress_ratios", "holds 16"}, fileOf().c_str()));

        b = good;
        b[findString(b, "deepseek4.attention.q_lora_rank") + 30] = std::byte('X');
        e = openPatched(b);
        QVERIFY(e.message.find("deepseek4.attention.q_lora_rank") != std::string::npos);
        QVERIFY(e.message.find("missing") != std::string::npos);

        b = good;
        const std::size_t archValue = findString(b, "general.architecture") + 20 + 4 + 8;
        b[archValue + 8] = std::byte('3');
        e = openPatched(b);
        QVERIFY(failsWith(e, {"general.architecture", "deepseek3"}, fileOf().c_str()));

        b = good;
        b[findString(b, "blk.1.attn_q_a.weight") + 20] = std::byte('X');
        e = openPatched(b);
        QVERIFY(e.message.find("'blk.1.attn_q_a.weight'") != std::string::npos);
        QVERIFY(e.message.find("missing") != std::string::npos);

        b = good;
        poke<std::int64_t>(b, tensorInfo(b, "blk.0.attn_norm.weight").ne, 32);
        e = openPatched(b);
        QVERIFY(failsWith(e, {"blk.0.attn_norm.weight", "ne {32}, expected {64}"}, fileOf().c_str()));

        b = good;
        poke<std::uint32_t>(b, tensorInfo(b, "blk.0.attn_sinks.weight").type, 1);  // F16 sinks
        e = openPatched(b);
        QVERIFY(failsWith(e, {"blk.0.attn_sinks.weight", "F16", "does not accept"}, fileOf().c_str()));

        b = good;
        poke<std::uint32_t>(b, tensorInfo(b, "blk.0.ffn_gate_tid2eid.weight").type, 0);  // F32 ids
        e = openPatched(b);
        QVERIFY(failsWith(e, {"blk.0.ffn_gate_tid2eid.weight", "does not accept"}, fileOf().c_str()));

        // GGUF's I8 is plain int8: an expert matrix that claims it is refused, never read as the
        // packed FP4 that the HF release's safetensors call "I8". BF16 -> I8 only shrinks it.
        DType none;
        QVERIFY(!gguf::ggmlToDType(gguf::GgmlType::I8, none));
        b = good;
        poke<std::uint32_t>(b, tensorInfo(b, "blk.0.ffn_gate_exps.weight").type, 24);  // I8
        e = openPatched(b);
        QVERIFY(failsWith(e, {"blk.0.ffn_gate_exps.weight", "type I8", "int8"}, fileOf().c_str()));
        QCOMPARE(int(e.code), int(atelier::ErrorCode::BadInput));

        b = good;
        b.resize(b.size() - 1);
        e = openPatched(b);
        QVERIFY(failsWith(e, {"runs past the end"}, fileOf().c_str()));

        auto missing = openGgufModel(root / "absent.gguf");
        QVERIFY(!missing.has_value());
        QCOMPARE(int(missing.error().code), int(atelier::ErrorCode::NotFound));
    }
};

QTEST_APPLESS_MAIN(TestGgufMalformed)
#include "test_gguf_malformed.moc"
