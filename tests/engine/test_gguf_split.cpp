// ctest-labels: unit
// Split GGUF files (NAME-00001-of-0000N.gguf, llama.cpp's gguf-split layout): a model written
// and split into parts opens from any part and gives bit for bit the logits of the unsplit file,
// its tensors read in place from each part's mapping; the part names parse and print as
// llama.cpp writes them; a missing part, a part of another split, a renamed part and a tensor
// count that disagrees are each refused with an error naming the part.

#include <cstring>
#include <filesystem>
#include <set>

#include <QTemporaryDir>
#include <QtTest>

#include "../../engine/src/model_io/gguf_split.h"
#include "atelier/engine/model.h"
#include "atelier/engine/model_files.h"
#include "gguf_test_model.h"

using namespace atelier::engine;
namespace fs = std::filesystem;

namespace {

std::vector<float> logitsOf(const fs::path& path, const std::vector<std::int32_t>& ids) {
    auto src = openModel(path);
    if (!src) qFatal("%s", src.error().message.c_str());
    auto model = Model::load(std::move(*src), ModelOptions{Numerics::Plain, 2});
    if (!model) qFatal("%s", model.error().message.c_str());
    KvCache seq = (*model)->newSequence();
    std::vector<float> logits;
    if (!(*model)->forward(seq, ids, LogitsRequest::All, logits)) qFatal("forward failed");
    return logits;
}

fs::path writeModel(const QTemporaryDir& dir, GgufQuant quant) {
    CreateModelOptions o;
    o.config = testing::microGgufConfig();
    o.config.dim = 256;
    o.format = FileFormat::Gguf;
    o.ggufQuant = quant;
    o.seed = 11;
    const fs::path path = fs::path(dir.path().toStdString()) / "whole.gguf";
    if (auto r = createModel(o, path); !r) qFatal("%s", r.error().message.c_str());
    return path;
}

}  // namespace

class TestGgufSplit : public QObject {
    Q_OBJECT
private slots:
    void partNamesParseAsLlamaCppWritesThem() {
        const auto n = gguf::parseSplitName("/m/DeepSeek-V4-Flash-Q4_K_M-00002-of-00004.gguf");
        QCOMPARE(n.number, 2);
        QCOMPARE(n.count, 4);
        QCOMPARE(n.prefix.string(), std::string("/m/DeepSeek-V4-Flash-Q4_K_M"));
        QCOMPARE(gguf::splitPartPath(n.prefix, 3, 4).string(), std::string("/m/DeepSeek-V4-Flash-Q4_K_M-00003-of-00004.gguf"));
        QCOMPARE(gguf::parseSplitName("/m/model.gguf").count, 0);
        QCOMPARE(gguf::parseSplitName("/m/model-00005-of-00004.gguf").count, 0);  // part past the count
        QCOMPARE(gguf::parseSplitName("/m/model-1-of-4.gguf").count, 0);
        QCOMPARE(gguf::parseSplitName("/m/model-00001-of-00004.safetensors").count, 0);
    }

    void aSplitModelGivesTheLogitsOfTheWholeFile() {
        QTemporaryDir dir;
        const fs::path whole = writeModel(dir, GgufQuant::Q4_K_M);
        const fs::path prefix = fs::path(dir.path().toStdString()) / "split";
        auto parts = splitGgufFile(whole, prefix, 3);
        QVERIFY2(parts, parts ? "" : parts.error().message.c_str());
        QCOMPARE(parts->size(), std::size_t(3));
        QCOMPARE((*parts)[1].filename().string(), std::string("split-00002-of-00003.gguf"));
        const std::vector<std::int32_t> ids = {3, 17, 200, 41, 5, 399};
        const auto want = logitsOf(whole, ids);
        for (const fs::path& p : *parts) {  // any part opens the set
            const auto got = logitsOf(p, ids);
            QCOMPARE(got.size(), want.size());
            QVERIFY(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)) == 0);
        }
        // Zero copy: the tensors point into the parts' own mappings, and every part is used.
        auto src = openModel((*parts)[0]);
        QVERIFY(src);
        QCOMPARE((*src)->parts(), 3);
        std::set<std::string> files;
        for (const auto& name : (*src)->names()) files.insert((*src)->find(name)->file);
        QCOMPARE(files.size(), std::size_t(3));
    }

    void brokenSetsAreRefusedNamingThePart() {
        QTemporaryDir dir;
        const fs::path whole = writeModel(dir, GgufQuant::Q8_0);
        const fs::path prefix = fs::path(dir.path().toStdString()) / "s";
        auto parts = splitGgufFile(whole, prefix, 3);
        QVERIFY(parts);
        const fs::path second = (*parts)[1];
        // A missing part.
        fs::rename(second, second.string() + ".away");
        auto r = openModel((*parts)[0]);
        QVERIFY(!r);
        QVERIFY2(r.error().message.find("part 2 of 3") != std::string::npos &&
                     r.error().message.find(second.filename().string()) != std::string::npos,
                 r.error().message.c_str());
        // A part from another split in its place (the 2-part split's second part).
        auto other = splitGgufFile(whole, fs::path(dir.path().toStdString()) / "t", 2);
        QVERIFY(other);
        fs::copy_file((*other)[1], second);
        r = openModel((*parts)[0]);
        QVERIFY(!r);
        QVERIFY2(r.error().message.find(second.filename().string()) != std::string::npos &&
                     r.error().message.find("split.count") != std::string::npos,
                 r.error().message.c_str());
        fs::remove(second);
        fs::rename(second.string() + ".away", second);
        QVERIFY(openModel((*parts)[2]));
        // A part renamed so that its name no longer says where the others are.
        const fs::path lone = fs::path(dir.path().toStdString()) / "renamed.gguf";
        fs::copy_file((*parts)[0], lone);
        r = openModel(lone);
        QVERIFY(!r);
        QVERIFY2(r.error().message.find("renamed.gguf") != std::string::npos, r.error().message.c_str());
        // Splitting a part again is refused.
        auto again = splitGgufFile((*parts)[0], fs::path(dir.path().toStdString()) / "u", 2);
        QVERIFY(!again);
    }
};

QTEST_APPLESS_MAIN(TestGgufSplit)
#include "test_gguf_split.moc"
