// ctest-labels: unit
// config.json reading and writing: both release spellings, round trips of the written file,
// refusal of what the engine does not implement, and the derived sizes of the release models
// against the published figures (spec §1.2, §10.3).
#include <sys/stat.h>

#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <functional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "atelier/engine/model_files.h"
#include "../../engine/src/model_io/hf_config.h"

using namespace atelier::engine;

namespace {

std::string releaseDir() { return std::string(ATELIER_SHARED_DIR) + "/conformance/dsv4-release/"; }

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Parses the Pro config after `edit` changed its JSON; returns the error text ("" on success).
std::string errorAfter(const std::function<void(nlohmann::json&)>& edit) {
    auto j = nlohmann::json::parse(readFile(releaseDir() + "pro/config.json"));
    edit(j);
    auto r = parseHfConfig(j.dump(), "edited/config.json");
    return r ? std::string() : r.error().message;
}

}  // namespace

class TestHfConfig : public QObject {
    Q_OBJECT
private slots:
    // The official vectors live in the project's shared/ folder beside the repository (CI has
    // it); a bare clone without it skips instead of failing.
    void initTestCase() {
        if (!QFileInfo::exists(QStringLiteral(ATELIER_SHARED_DIR "/conformance")))
            QSKIP("shared/conformance is not beside the repository");
    }
    void flashConfigMatchesSpecTable() {
        auto c = readHfConfig(releaseDir() + "flash/config.json");
        QVERIFY2(c, c ? "" : c.error().message.c_str());
        QCOMPARE(c->dim, 4096);
        QCOMPARE(c->nLayers, 43);
        QCOMPARE(c->nHeads, 64);
        QCOMPARE(c->qLoraRank, 1024);
        QCOMPARE(c->oGroups, 8);
        QCOMPARE(c->nRoutedExperts, 256);
        QCOMPARE(c->moeInterDim, 2048);
        QCOMPARE(c->indexTopk, 512);
        QCOMPARE(c->routeScale, 1.5f);
        QCOMPARE(c->nMtpLayers, 1);
        QCOMPARE(int(c->compressRatios.size()), 44);
        QCOMPARE(c->yarnFactor, 16.0);
        QCOMPARE(c->yarnOriginalSeqLen, std::int64_t(65536));
        QCOMPARE(c->compressRopeTheta, 160000.0);
    }

    void proAndInferenceConfigsAgree() {
        auto hf = readHfConfig(releaseDir() + "pro/config.json");
        auto inf = readHfConfig(releaseDir() + "pro/inference-config.json");
        QVERIFY2(hf, hf ? "" : hf.error().message.c_str());
        QVERIFY2(inf, inf ? "" : inf.error().message.c_str());
        QCOMPARE(hf->dim, 7168);
        QCOMPARE(hf->nLayers, 61);
        QCOMPARE(hf->routeScale, 2.5f);
        QCOMPARE(inf->dim, 7168);
        QVERIFY(*hf == *inf);
    }

    void writtenConfigReadsBackIdentical() {
        for (const auto& preset : presetNames()) {
            for (auto scheme : {WeightScheme::F32, WeightScheme::BF16, WeightScheme::FP8}) {
                auto c = presetConfig(preset);
                QVERIFY(c);
                auto back = parseHfConfig(hfConfigJson(*c, scheme), "written/config.json");
                QVERIFY2(back, back ? "" : back.error().message.c_str());
                QVERIFY2(*back == *c, preset.c_str());
            }
        }
    }

    void fp8ConfigCarriesQuantizationConfig() {
        auto c = presetConfig("tiny");
        auto j = nlohmann::json::parse(hfConfigJson(*c, WeightScheme::FP8));
        QCOMPARE(j["quantization_config"]["quant_method"].get<std::string>(), std::string("fp8"));
        QCOMPARE(j["quantization_config"]["weight_block_size"], nlohmann::json({128, 128}));
        QCOMPARE(j["torch_dtype"].get<std::string>(), std::string("bfloat16"));
        auto f = nlohmann::json::parse(hfConfigJson(*c, WeightScheme::F32));
        QVERIFY(!f.contains("quantization_config"));
        QCOMPARE(f["torch_dtype"].get<std::string>(), std::string("float32"));
    }

    void rejectsWhatTheEngineDoesNotImplement() {
        QVERIFY(errorAfter([](auto&) {}).empty());
        QVERIFY(errorAfter([](auto& j) { j["scoring_func"] = "softmax"; }).find("scoring_func") != std::string::npos);
        QVERIFY(errorAfter([](auto& j) { j["hc_mult"] = 2; }).find("hc_mult") != std::string::npos);
        QVERIFY(errorAfter([](auto& j) { j["quantization_config"]["scale_fmt"] = "float32"; }).find("scale_fmt") != std::string::npos);
        QVERIFY(errorAfter([](auto& j) { j["model_type"] = "llama"; }).find("model_type") != std::string::npos);
        QVERIFY(errorAfter([](auto& j) { j["hidden_size"] = "big"; }).find("hidden_size") != std::string::npos);
        QVERIFY(errorAfter([](auto& j) { j["compress_ratios"][5] = 8; }).find("compress_ratios") != std::string::npos);
        QVERIFY(errorAfter([](auto& j) { j.erase("compress_ratios"); }).find("compress_ratios") != std::string::npos);
        QVERIFY(errorAfter([](auto& j) { j["num_key_value_heads"] = 8; }).find("num_key_value_heads") != std::string::npos);
        QVERIFY(errorAfter([](auto& j) { j["rope_scaling"]["type"] = "linear"; }).find("type") != std::string::npos);
        QVERIFY(errorAfter([](auto& j) { j["hc_eps"] = 1e300; }).find("hc_eps") != std::string::npos);
        QVERIFY(errorAfter([](auto& j) { j["num_hidden_layers"] = 1e30; }).find("num_hidden_layers") != std::string::npos);
    }

    // Sizes and counts far past any release are refused by name before anything is sized from
    // them (2^30 experts once allocated until bad_alloc; 2^31 Sinkhorn iterations never ended).
    void absurdSizesAreRefusedByName() {
        const std::vector<std::pair<const char*, double>> absurd = {
            {"n_routed_experts", 1073741824.0}, {"hc_sinkhorn_iters", 2147483647.0},
            {"vocab_size", 1e9},                {"hidden_size", 1048576.0},
            {"moe_intermediate_size", 1e7},     {"num_attention_heads", 65536.0},
            {"index_topk", 1e8},                {"sliding_window", 1e8},
        };
        for (const auto& [field, value] : absurd) {
            const std::string err = errorAfter([&](auto& j) { j[field] = value; });
            QVERIFY2(err.find(field) != std::string::npos, qPrintable(QString("%1: '%2'").arg(field, err.c_str())));
        }
    }

    // Issue 21: every remaining count and real-valued field is bounded too, and a product of
    // in-bounds sizes that would still ask for terabytes is refused.
    void remainingFieldsAreBoundedByName() {
        const std::vector<std::pair<const char*, std::function<void(nlohmann::json&)>>> cases = {
            {"original_max_position_embeddings",
             [](auto& j) { j["rope_scaling"]["original_max_position_embeddings"] = 1e12; }},
            {"sliding_window", [](auto& j) { j["sliding_window"] = 65536; }},  // × layers × head_dim
            {"rms_norm_eps", [](auto& j) { j["rms_norm_eps"] = 0; }},
            {"hc_eps", [](auto& j) { j["hc_eps"] = -1e-6; }},
            {"rope_theta", [](auto& j) { j["rope_theta"] = -10000; }},
            {"swiglu_limit", [](auto& j) { j["swiglu_limit"] = -1; }},
            {"max_position_embeddings", [](auto& j) { j["max_position_embeddings"] = 0; }},
        };
        for (const auto& [field, edit] : cases) {
            const std::string err = errorAfter(edit);
            QVERIFY2(err.find(field) != std::string::npos, qPrintable(QString("%1: '%2'").arg(field, err.c_str())));
        }
    }

    void aFifoNamedConfigJsonIsRefusedWithoutBlocking() {
        QTemporaryDir dir;
        const std::string fifo = dir.path().toStdString() + "/config.json";
        QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
        auto r = readHfConfig(fifo);
        QVERIFY(!r);
        QVERIFY2(r.error().message.find("not a regular file") != std::string::npos, r.error().message.c_str());
    }

    void invalidJsonNamesTheFile() {
        auto r = parseHfConfig("{\"vocab_size\": 12", "broken/config.json");
        QVERIFY(!r);
        QVERIFY(r.error().message.find("broken/config.json") != std::string::npos);
        QVERIFY(!parseHfConfig("[1, 2]", "x"));
        QVERIFY(!readHfConfig("/nonexistent/config.json"));
    }

    // Published: Flash 284B total / 13B active, Pro 1.6T / 49B; KV at long context 3,514 and
    // 5,031 bytes per token (spec §10.3).
    void releaseSizesMatchPublishedFigures() {
        auto flash = computeSizes(*readHfConfig(releaseDir() + "flash/config.json"));
        QVERIFY(std::abs(double(flash.paramsTotal) / 284e9 - 1.0) < 0.01);
        QVERIFY(std::abs(double(flash.paramsActive) / 13e9 - 1.0) < 0.04);
        QVERIFY(std::abs(flash.kvBytesPerToken - 3514.0) < 1.0);
        auto pro = computeSizes(*readHfConfig(releaseDir() + "pro/config.json"));
        QVERIFY(std::abs(double(pro.paramsTotal + pro.paramsMtp) / 1.6e12 - 1.0) < 0.01);
        QVERIFY(std::abs(double(pro.paramsActive) / 49e9 - 1.0) < 0.01);
        QVERIFY(std::abs(pro.kvBytesPerToken - 5031.0) < 1.0);
        // Per-sequence state: 62 rings of 128 x 584 bytes + 30 x 80 KiB + 31 x 512 KiB (Pro).
        QCOMPARE(pro.stateBytesPerSequence,
                 std::int64_t(62 * 128 * 584 + 30 * 80 * 1024 + 31 * 512 * 1024));
    }
};

QTEST_APPLESS_MAIN(TestHfConfig)
#include "test_hf_config.moc"
