// ctest-labels: unit
// The safetensors container: well-formed files parse to the right entries, and every kind of
// malformed file (truncation, header length past EOF, bad JSON, unknown dtype, shape/size
// mismatch, offsets past the end or overlapping) is an error naming the file, the tensor and
// the byte offset, never a crash. The writer's output is what the parser expects.
#include <QtTest>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "../../engine/src/model_io/safetensors.h"
#include "../../engine/src/model_io/safetensors_writer.h"

using namespace atelier::engine;

namespace {

// A file built by hand: 8-byte little-endian length, header text, `dataBytes` of data.
std::vector<std::byte> makeFile(const std::string& header, std::size_t dataBytes) {
    std::vector<std::byte> f(8 + header.size() + dataBytes, std::byte{0x5a});
    const std::uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) f[std::size_t(i)] = std::byte((n >> (8 * i)) & 0xff);
    std::memcpy(f.data() + 8, header.data(), header.size());
    return f;
}

std::string parseError(const std::vector<std::byte>& f) {
    auto r = parseSafetensors(f, "shard.safetensors");
    return r ? std::string() : r.error().message;
}

bool mentions(const std::string& msg, std::initializer_list<const char*> parts) {
    for (const char* p : parts)
        if (msg.find(p) == std::string::npos) {
            qWarning("message '%s' lacks '%s'", msg.c_str(), p);
            return false;
        }
    return true;
}

}  // namespace

class TestSafetensors : public QObject {
    Q_OBJECT
private slots:
    void parsesEntriesWithAbsoluteOffsets() {
        const std::string h =
            R"({"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[2,3],"data_offsets":[16,28]},)"
            R"("a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"s":{"dtype":"F8_E8M0","shape":[],"data_offsets":[28,29]}})";
        auto f = makeFile(h, 29);
        auto r = parseSafetensors(f, "x.safetensors");
        QVERIFY2(r, r ? "" : r.error().message.c_str());
        QCOMPARE(r->tensors.size(), std::size_t(3));
        QCOMPARE(r->dataOffset, 8 + h.size());
        QCOMPARE(r->tensors[0].name, std::string("a"));  // ordered by offset
        QCOMPARE(r->tensors[0].offset, std::uint64_t(8 + h.size()));
        QCOMPARE(r->tensors[1].dtype, DType::BF16);
        QCOMPARE(r->tensors[1].shape, (std::vector<std::int64_t>{2, 3}));
        QCOMPARE(r->tensors[1].offset, std::uint64_t(8 + h.size() + 16));
        QCOMPARE(r->tensors[2].nbytes, std::uint64_t(1));  // a scalar holds one element
        QCOMPARE(r->metadata.at("format"), std::string("pt"));
    }

    void knowsEveryReleaseDType() {
        for (const char* n : {"F32", "F16", "BF16", "F8_E4M3", "F8_E8M0", "I8", "I32", "I64", "U8", "F64"}) {
            auto d = safetensorsDType(n);
            QVERIFY2(d, n);
            QCOMPARE(std::string(safetensorsDTypeName(*d)), std::string(n));
        }
        QVERIFY(!safetensorsDType("F8_E5M2"));
    }

    void rejectsTruncatedFile() {
        std::vector<std::byte> f(5, std::byte{0});
        QVERIFY(mentions(parseError(f), {"shard.safetensors", "truncated"}));
        QVERIFY(!parseError({}).empty());
    }

    void rejectsHeaderLengthPastEnd() {
        auto f = makeFile("{}", 0);
        f[0] = std::byte{0x40};  // claims 64 header bytes, the file has 2
        QVERIFY(mentions(parseError(f), {"shard.safetensors", "header length 64", "byte 0"}));
        f[6] = std::byte{0x7f};  // absurd
        QVERIFY(mentions(parseError(f), {"shard.safetensors", "byte 0"}));
    }

    void rejectsInvalidJson() {
        QVERIFY(mentions(parseError(makeFile(R"({"a":{"dtype":"F32",)", 0)), {"shard.safetensors", "JSON"}));
        QVERIFY(mentions(parseError(makeFile("[1,2]", 0)), {"shard.safetensors", "not an object"}));
        QVERIFY(mentions(parseError(makeFile(R"({"a":3})", 0)), {"'a'"}));
        QVERIFY(mentions(parseError(makeFile(R"({"__metadata__":{"k":1}})", 0)), {"__metadata__"}));
    }

    void rejectsUnknownDType() {
        auto f = makeFile(R"({"w":{"dtype":"Q4_K","shape":[4],"data_offsets":[0,4]}})", 4);
        QVERIFY(mentions(parseError(f), {"shard.safetensors", "'w'", "Q4_K"}));
    }

    void rejectsShapeSizeMismatch() {
        const std::string h = R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})";
        auto f = makeFile(h, 12);
        QVERIFY(mentions(parseError(f), {"shard.safetensors", "'w'", ("byte " + std::to_string(8 + h.size())).c_str()}));
    }

    void rejectsBadShapesAndOffsets() {
        QVERIFY(mentions(parseError(makeFile(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4)), {"'w'"}));
        QVERIFY(mentions(parseError(makeFile(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", 4)), {"'w'"}));
        QVERIFY(mentions(parseError(makeFile(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", 4)), {"'w'"}));
        QVERIFY(mentions(parseError(makeFile(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 4)), {"'w'"}));
        QVERIFY(mentions(parseError(makeFile(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", 4)), {"'w'", "dtype"}));
    }

    void rejectsOffsetsPastTheEnd() {
        const std::string h = R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
        auto f = makeFile(h, 12);
        QVERIFY(mentions(parseError(f), {"shard.safetensors", "'w'", "past the end"}));
    }

    void rejectsOverlappingTensors() {
        const std::string h = R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                              R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})";
        auto f = makeFile(h, 16);
        QVERIFY(mentions(parseError(f), {"shard.safetensors", "'b'", "overlaps", "'a'",
                                         ("byte " + std::to_string(8 + h.size() + 8)).c_str()}));
    }

    void writerOutputParsesBack() {
        const auto dir = std::filesystem::temp_directory_path() / ("st-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        std::vector<PlannedTensor> plan = {{"x", DType::F32, {3}}, {"y", DType::BF16, {2, 2}},
                                           {"z", DType::I64, {1}}};
        auto produce = [&](std::size_t i) -> atelier::Result<std::vector<std::byte>> {
            return std::vector<std::byte>(plan[i].nbytes(), std::byte(i + 1));
        };
        const auto path = dir / "w.safetensors";
        QVERIFY(writeSafetensorsFile(path, plan, produce));
        std::ifstream in(path, std::ios::binary);
        std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::vector<std::byte> bytes(raw.size());
        std::memcpy(bytes.data(), raw.data(), raw.size());
        auto r = parseSafetensors(bytes, path.string());
        QVERIFY2(r, r ? "" : r.error().message.c_str());
        QCOMPARE(r->dataOffset % 8, std::uint64_t(0));  // header padded like the reference writer
        QCOMPARE(r->tensors.size(), std::size_t(3));
        std::uint64_t next = r->dataOffset;  // contiguous, no holes, ends at EOF
        for (const auto& t : r->tensors) {
            QCOMPARE(t.offset, next);
            QCOMPARE(std::to_integer<int>(bytes[t.offset]), int(&t - r->tensors.data()) + 1);
            next += t.nbytes;
        }
        QCOMPARE(next, std::uint64_t(bytes.size()));
        std::filesystem::remove_all(dir);
    }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
