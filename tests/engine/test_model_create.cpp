// ctest-labels: unit
// `model create` / openModel / validateWeights on HF folders: tiny models in all three weight
// schemes reopen, validate and decode to the generator's values within each format's rounding;
// the same seed gives the same bytes; broken folders and sources are refused with errors that
// name the file, the tensor and the byte offset.
#include <QtTest>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "atelier/engine/model_files.h"
#include "atelier/engine/weight_decode.h"
#include "../../engine/src/model_io/hf_writer.h"

using namespace atelier::engine;
namespace fs = std::filesystem;

namespace {

std::string readFile(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

CreateModelOptions tinyOptions(WeightScheme scheme, std::uint64_t seed = 7) {
    CreateModelOptions o;
    o.config = *presetConfig("tiny");
    o.scheme = scheme;
    o.seed = seed;
    return o;
}

// |decoded - generated| allowed for one element: the format's rounding (half a step).
double bound(DType dt, float v, float scale) {
    const double a = std::fabs(v);
    switch (dt) {
    case DType::F32: return 0.0;
    case DType::BF16: return a * std::ldexp(1.0, -8);
    case DType::F8_E4M3: return std::max(a * std::ldexp(1.0, -4), scale * std::ldexp(1.0, -10));
    case DType::E2M1x2: return 0.25 * std::max(a, double(scale));
    default: return 0.0;
    }
}

// The power-of-two scale the release scheme prescribes, computed here independently.
float expectedScale(float amax, float maxCode) { return std::exp2(std::ceil(std::log2(amax / maxCode))); }

// Copies every tensor of `src` except `drop` into memory, optionally replacing one.
std::unique_ptr<OwnedWeights> copyOf(const WeightSource& src, const std::string& drop = {}) {
    auto w = std::make_unique<OwnedWeights>(src.config());
    for (const auto& n : src.names()) {
        if (n == drop) continue;
        const TensorView* t = src.find(n);
        std::vector<std::byte> bytes(t->data, t->data + t->nbytes);
        w->add(n, t->dtype, t->shape, std::move(bytes));
    }
    return w;
}

std::string validationError(const WeightSource& src) {
    auto r = validateWeights(src);
    return r ? std::string() : r.error().message;
}

}  // namespace

class TestModelCreate : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

    fs::path path(const char* name) const { return fs::path(m_tmp.path().toStdString()) / name; }

    void checkDecodedValues(const WeightSource& src, WeightScheme scheme) {
        const ModelConfig& c = src.config();
        for (const auto& spec : expectedTensors(c)) {
            const std::int64_t n = elementCount(spec.shape);
            std::vector<std::byte> raw(static_cast<std::size_t>(n) * 8);
            fillRandomTensor(c, spec, 7, raw.data());
            const TensorView* t = src.find(spec.name);
            QVERIFY(t);
            QCOMPARE(t->dtype, storedDType(spec.role, scheme));
            if (spec.role == TensorRole::Tid2Eid) {
                QVERIFY(std::memcmp(t->data, raw.data(), std::size_t(n) * 8) == 0);
                continue;
            }
            const auto* want = reinterpret_cast<const float*>(raw.data());
            const std::int64_t rows = spec.shape.size() == 2 ? spec.shape[0] : 1;
            const std::int64_t cols = n / rows;
            std::vector<float> got(static_cast<std::size_t>(n));
            if (spec.shape.size() == 2 && t->dtype != DType::F32) {
                auto m = bindMatrix(src, spec.name, rows, cols);
                QVERIFY2(m, m ? "" : m.error().message.c_str());
                for (std::int64_t r = 0; r < rows; ++r) decodeRow(*m, r, got.data() + r * cols);
            } else {
                decodeTensor(*t, got);
            }
            for (std::int64_t r = 0; r < rows; ++r) {
                for (std::int64_t col = 0; col < cols; ++col) {
                    const std::size_t i = std::size_t(r * cols + col);
                    float scale = 1.0f;
                    if (t->dtype == DType::F8_E4M3 || t->dtype == DType::E2M1x2) {
                        // amax over the element's block: 128x128 for FP8, 1x32 for FP4.
                        const bool fp8 = t->dtype == DType::F8_E4M3;
                        const std::int64_t r0 = fp8 ? r / 128 * 128 : r, r1 = fp8 ? std::min(rows, r0 + 128) : r + 1;
                        const std::int64_t c0 = fp8 ? col / 128 * 128 : col / 32 * 32;
                        const std::int64_t c1 = std::min(cols, c0 + (fp8 ? 128 : 32));
                        float amax = 0;
                        for (std::int64_t rr = r0; rr < r1; ++rr)
                            for (std::int64_t cc = c0; cc < c1; ++cc)
                                amax = std::max(amax, std::fabs(want[rr * cols + cc]));
                        scale = expectedScale(amax, fp8 ? 448.0f : 6.0f);
                        const TensorView* s = src.find(spec.name.substr(0, spec.name.size() - 7) + ".scale");
                        QVERIFY(s);
                        const std::size_t si = fp8 ? std::size_t((r / 128) * s->shape[1] + col / 128)
                                                   : std::size_t(r * s->shape[1] + col / 32);
                        if (e8m0ToF32(std::uint8_t(s->data[si])) != scale)
                            QFAIL(("wrong block scale in " + spec.name).c_str());
                        col = c1 - 1;  // one check per block and row is enough for the scale
                        for (std::int64_t cc = c0; cc < c1; ++cc) {
                            const std::size_t k = std::size_t(r * cols + cc);
                            if (std::fabs(got[k] - want[k]) > bound(t->dtype, want[k], scale) * 1.0001)
                                QFAIL(("value outside the rounding bound in " + spec.name).c_str());
                        }
                        continue;
                    }
                    if (std::fabs(got[i] - want[i]) > bound(t->dtype, want[i], scale))
                        QFAIL(("value outside the rounding bound in " + spec.name).c_str());
                }
            }
        }
    }

private slots:
    void initTestCase() { QVERIFY(m_tmp.isValid()); }

    void createsReopensAndValidatesEveryScheme() {
        const std::pair<WeightScheme, const char*> schemes[] = {
            {WeightScheme::F32, "f32"}, {WeightScheme::BF16, "bf16"}, {WeightScheme::FP8, "fp8"}};
        for (auto [scheme, name] : schemes) {
            const fs::path out = path(name);
            auto made = createModel(tinyOptions(scheme), out);
            QVERIFY2(made, made ? "" : made.error().message.c_str());
            for (const char* f : {"config.json", "generation_config.json", "tokenizer.json",
                                  "tokenizer_config.json", "model.safetensors.index.json"})
                QVERIFY2(fs::exists(out / f), f);
            auto src = openModel(out);
            QVERIFY2(src, src ? "" : src.error().message.c_str());
            QCOMPARE((*src)->format(), ModelFormat::HuggingFace);
            QVERIFY((*src)->config() == tinyOptions(scheme).config);
            auto ok = validateWeights(**src);
            QVERIFY2(ok, ok ? "" : ok.error().message.c_str());
            checkDecodedValues(**src, scheme);
        }
        // Nothing temporary left beside the outputs.
        for (const auto& e : fs::directory_iterator(m_tmp.path().toStdString()))
            QVERIFY2(e.path().filename().string().find(".tmp") == std::string::npos, e.path().c_str());
    }

    void sameSeedSameBytes() {
        QVERIFY(createModel(tinyOptions(WeightScheme::FP8, 7), path("fp8-again")));
        QVERIFY(createModel(tinyOptions(WeightScheme::FP8, 8), path("fp8-other-seed")));
        for (const auto& e : fs::directory_iterator(path("fp8"))) {
            const auto f = e.path().filename();
            QVERIFY2(readFile(e.path()) == readFile(path("fp8-again") / f), f.c_str());
        }
        const char* shard = "model-00001-of-00001.safetensors";
        QVERIFY(readFile(path("fp8") / shard) != readFile(path("fp8-other-seed") / shard));
    }

    void tokenizerFilesDescribeTheVocabulary() {
        const auto tok = nlohmann::json::parse(readFile(path("bf16") / "tokenizer.json"));
        QCOMPARE(tok["model"]["type"].get<std::string>(), std::string("BPE"));
        // Every id of the model's vocabulary appears exactly once, in model.vocab or added_tokens.
        const std::int64_t vocabSize = presetConfig("tiny")->vocabSize;
        std::vector<int> seen(std::size_t(vocabSize), 0);
        for (const auto& [text, id] : tok["model"]["vocab"].items()) {
            QVERIFY(id.get<std::int64_t>() >= 0 && id.get<std::int64_t>() < vocabSize);
            ++seen[std::size_t(id.get<std::int64_t>())];
        }
        for (const auto& t : tok["added_tokens"]) {
            const auto id = t["id"].get<std::int64_t>();
            QVERIFY(id >= 0 && id < vocabSize);
            if (!tok["model"]["vocab"].contains(t["content"].get<std::string>())) ++seen[std::size_t(id)];
        }
        for (std::int64_t id = 0; id < vocabSize; ++id) QVERIFY2(seen[std::size_t(id)] == 1, qPrintable(QString::number(id)));
        QCOMPARE(tok["added_tokens"][0]["content"].get<std::string>(), std::string("<｜begin▁of▁sentence｜>"));
        QVERIFY(tok["added_tokens"][0]["special"].get<bool>());
        QCOMPARE(tok["pre_tokenizer"]["pretokenizers"].size(), std::size_t(4));
        QCOMPARE(tok["decoder"]["type"].get<std::string>(), std::string("ByteLevel"));
        const auto cfg = nlohmann::json::parse(readFile(path("bf16") / "tokenizer_config.json"));
        QCOMPARE(cfg["bos_token"]["content"], tok["added_tokens"][0]["content"]);
        QVERIFY(!cfg["add_bos_token"].get<bool>());
    }

    void givenTokenizerSetsTheVocabSize() {
        // A tokenizer of 700 ids (the vocab holds ids up to 649, an added token has 699).
        nlohmann::json tok = nlohmann::json::parse(readFile(path("bf16") / "tokenizer.json"));
        nlohmann::json vocab = nlohmann::json::object();
        for (int i = 0; i < 650; ++i) vocab["t" + std::to_string(i)] = i;
        tok["model"]["vocab"] = vocab;
        tok["added_tokens"] = {{{"id", 699}, {"content", "<｜end▁of▁sentence｜>"}, {"special", true}}};
        std::ofstream(path("custom-tokenizer.json")) << tok.dump();
        auto o = tinyOptions(WeightScheme::BF16);
        o.tokenizerJson = path("custom-tokenizer.json");
        auto made = createModel(o, path("custom"));
        QVERIFY2(made, made ? "" : made.error().message.c_str());
        auto src = openModel(path("custom") / "config.json");
        QVERIFY(src);
        QCOMPARE((*src)->config().vocabSize, std::int64_t(700));
        QCOMPARE((*src)->config().eosTokenId, std::int64_t(699));
        QVERIFY(validateWeights(**src));
        QCOMPARE(readFile(path("custom") / "tokenizer.json"), readFile(path("custom-tokenizer.json")));
    }

    // Shards cut at a small limit: every shard named by the index, each tensor in the shard the
    // index says, the shard sizes within the limit unless one tensor alone exceeds it.
    void shardedModelReadsBackLikeOneShard() {
        const fs::path dir = path("sharded");
        fs::create_directories(dir);
        const std::uint64_t limit = 1 << 20;
        QVERIFY(writeHfModel(tinyOptions(WeightScheme::BF16), dir, limit));
        const auto index = nlohmann::json::parse(readFile(dir / "model.safetensors.index.json"));
        std::set<std::string> shards;
        for (const auto& [name, file] : index["weight_map"].items()) shards.insert(file.get<std::string>());
        QVERIFY(shards.size() > 2);
        std::uint64_t total = 0;
        for (const auto& f : shards) {
            QVERIFY2(fs::exists(dir / f), f.c_str());
            total += fs::file_size(dir / f);
        }
        QVERIFY(index["metadata"]["total_size"].get<std::uint64_t>() < total);
        auto src = openModel(dir);
        QVERIFY2(src, src ? "" : src.error().message.c_str());
        QVERIFY(validateWeights(**src));
        auto one = openModel(path("bf16"));
        QVERIFY(one);
        QCOMPARE((*src)->names(), (*one)->names());
        for (const auto& n : (*one)->names()) {
            const TensorView* a = (*src)->find(n);
            const TensorView* b = (*one)->find(n);
            QCOMPARE(fs::path(a->file).filename().string(), index["weight_map"][n].get<std::string>());
            QVERIFY2(a->nbytes == b->nbytes && std::memcmp(a->data, b->data, a->nbytes) == 0, n.c_str());
        }
    }

    void refusesToOverwrite() {
        auto r = createModel(tinyOptions(WeightScheme::F32), path("f32"));
        QVERIFY(!r);
        QCOMPARE(r.error().code, atelier::ErrorCode::Usage);
        QVERIFY(fs::exists(path("f32") / "config.json"));
    }

    void configOnlyFolderHasNoTensors() {
        fs::create_directories(path("config-only"));
        fs::copy_file(path("bf16") / "config.json", path("config-only") / "config.json");
        auto src = openModel(path("config-only"));
        QVERIFY2(src, src ? "" : src.error().message.c_str());
        QVERIFY((*src)->names().empty());
        QVERIFY(validationError(**src).find("missing") != std::string::npos);
        QVERIFY(!openModel(path("no-such-model")));
    }

    void validationNamesMissingMisshapenAndExtraTensors() {
        auto opened = openModel(path("fp8"));
        QVERIFY(opened);
        auto src = std::move(opened.value());
        QVERIFY(validationError(*copyOf(*src)).empty());
        const std::string wq = "layers.1.attn.wq_a.weight";
        QVERIFY(validationError(*copyOf(*src, wq)).find("'" + wq + "' is missing") != std::string::npos);
        QVERIFY(validationError(*copyOf(*src, "layers.1.attn.wq_a.scale")).find("layers.1.attn.wq_a.scale") != std::string::npos);
        QVERIFY(validationError(*copyOf(*src, "layers.0.ffn.experts.3.w2.scale")).find("experts.3.w2.scale") != std::string::npos);

        auto misshapen = copyOf(*src);
        misshapen->add("norm.weight", DType::BF16, {8}, std::vector<std::byte>(16));
        QVERIFY(validationError(*misshapen).find("'norm.weight'") != std::string::npos);
        auto wrongDtype = copyOf(*src);
        wrongDtype->add("norm.weight", DType::I32, {256}, std::vector<std::byte>(1024));
        QVERIFY(validationError(*wrongDtype).find("dtype") != std::string::npos);
        auto wrongMatrix = copyOf(*src);
        wrongMatrix->add(wq, DType::U8, {128, 256}, std::vector<std::byte>(128 * 256));
        QVERIFY(validationError(*wrongMatrix).find(wq) != std::string::npos);
        auto wrongScale = copyOf(*src);
        wrongScale->add("layers.1.attn.wq_a.scale", DType::F8_E8M0, {2, 2}, std::vector<std::byte>(4));
        QVERIFY(validationError(*wrongScale).find("wq_a.scale") != std::string::npos);
        auto extra = copyOf(*src);
        extra->add("layers.9.bogus.weight", DType::F32, {1}, std::vector<std::byte>(4));
        QVERIFY(validationError(*extra).find("layers.9.bogus.weight") != std::string::npos);
    }

    void brokenFoldersNameFileAndOffset() {
        const fs::path dir = path("broken");
        fs::copy(path("bf16"), dir, fs::copy_options::recursive);
        const fs::path shard = dir / "model-00001-of-00001.safetensors";
        // An extra shard beside the index is ignored; without the index it is read and refused.
        fs::copy_file(shard, dir / "extra.safetensors");
        QVERIFY(openModel(dir));
        fs::remove(dir / "model.safetensors.index.json");
        auto dup = openModel(dir);
        QVERIFY(!dup);
        QVERIFY(dup.error().message.find("extra.safetensors") != std::string::npos ||
                dup.error().message.find("also in") != std::string::npos);
        fs::remove(dir / "extra.safetensors");
        QVERIFY(openModel(dir));
        // Truncated shard: the last tensor now runs past the end of the file.
        fs::resize_file(shard, fs::file_size(shard) - 100);
        auto cut = openModel(dir);
        QVERIFY(!cut);
        QCOMPARE(cut.error().code, atelier::ErrorCode::BadInput);
        QVERIFY(cut.error().message.find(shard.string()) != std::string::npos);
        QVERIFY(cut.error().message.find("byte") != std::string::npos);
        // An index naming a shard that does not exist.
        fs::copy_file(path("bf16") / "model.safetensors.index.json", dir / "model.safetensors.index.json");
        fs::remove(shard);
        QVERIFY(!openModel(dir));
        // Invalid config.json.
        std::ofstream(dir / "config.json") << "{ not json";
        auto bad = openModel(dir);
        QVERIFY(!bad);
        QVERIFY(bad.error().message.find("config.json") != std::string::npos);
    }
};

QTEST_APPLESS_MAIN(TestModelCreate)
#include "test_model_create.moc"
