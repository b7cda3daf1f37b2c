// ctest-labels: unit
// GGUF models in llama.cpp's deepseek4 layout: written in every weight scheme and read back,
// every tensor decodes to the generator's values within its format's rounding, the config and
// the vocabulary round-trip, the layout facts of the design doc hold (tensor count, names, ne,
// ggml nibble order), and the same seed gives the same bytes.

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <vector>

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include "../../engine/src/model_io/gguf.h"
#include "../../engine/src/model_io/gguf_builder.h"
#include "../../engine/src/model_io/gguf_deepseek4.h"
#include "../../engine/src/model_io/gguf_quantize.h"
#include "../../engine/src/model_io/gguf_reader.h"
#include "atelier/engine/dtype.h"
#include "atelier/engine/model_config.h"
#include "atelier/engine/tensor_schema.h"
#include "atelier/engine/weight_decode.h"
#include "atelier/engine/weight_source.h"
#include "gguf_test_model.h"

using namespace atelier::engine;
Q_DECLARE_METATYPE(atelier::engine::WeightScheme)

namespace {

std::vector<char> readAll(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

ModelConfig trunkOf(ModelConfig c) {
    c.compressRatios.resize(std::size_t(c.nLayers));
    c.nMtpLayers = 0;
    return c;
}

// Decoded values of a stored tensor, whatever its dtype.
std::vector<float> decodeAll(const WeightSource& s, const TensorSpec& spec) {
    std::vector<float> out(std::size_t(elementCount(spec.shape)));
    if (spec.shape.size() == 2 && spec.role != TensorRole::Tid2Eid) {
        auto m = bindMatrix(s, spec.name, spec.shape[0], spec.shape[1]);
        if (!m) qFatal("%s", m.error().message.c_str());
        for (std::int64_t r = 0; r < spec.shape[0]; ++r) decodeRow(*m, r, &out[std::size_t(r * spec.shape[1])]);
    } else {
        decodeTensor(*s.find(spec.name), out);
    }
    return out;
}

float amaxOf(const float* x, std::int64_t n) {
    float a = 0;
    for (std::int64_t i = 0; i < n; ++i) a = std::max(a, std::fabs(x[i]));
    return a;
}

// Largest error the stored format may introduce for element i of a row (x: the generator's row).
float tolerance(DType dtype, TensorRole role, WeightScheme scheme, const float* row, std::int64_t i) {
    const float x = row[i];
    // Only the block formats look at the 32-block around i (their rows are multiples of 32).
    auto amax32 = [&] { return amaxOf(row + i / 32 * 32, 32); };
    switch (dtype) {
    case DType::F32: return 0.0f;
    case DType::BF16: return std::fabs(x) * 0x1p-8f;  // half an ulp of an 8-bit mantissa
    case DType::Q8_0: {
        // FP8 E4M3 rounding first (half an ulp of a 3-bit mantissa, plus the subnormal step),
        // then Q8_0: half a step of amax/127 plus the step's own f16 rounding.
        const float fp8 = role == TensorRole::LinearFp8 && scheme == WeightScheme::FP8 ? std::fabs(x) * 0x1p-4f : 0.0f;
        return fp8 + 0.57f * (amax32() * 1.07f) / 127.0f + 1e-6f;
    }
    case DType::MXFP4: {
        // E2M1 steps are 0.5, 1 and 2 times the block scale 2^ceil(log2(amax/6)).
        const float s = std::exp2(std::ceil(std::log2(amax32() / 6.0f)));
        const float a = std::fabs(x) / s;
        return s * (a <= 2.0f ? 0.25f : a <= 4.0f ? 0.5f : 1.0f) * 1.0001f;
    }
    default: return 0.0f;
    }
}

}  // namespace

class TestGguf : public QObject {
    Q_OBJECT
private slots:
    void everyTensorDecodesToTheGeneratorsValues_data() {
        QTest::addColumn<WeightScheme>("scheme");
        QTest::newRow("f32") << WeightScheme::F32;
        QTest::newRow("bf16") << WeightScheme::BF16;
        QTest::newRow("fp8") << WeightScheme::FP8;
    }

    void everyTensorDecodesToTheGeneratorsValues() {
        QFETCH(WeightScheme, scheme);
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "m.gguf";
        CreateModelOptions o;
        o.config = testing::microGgufConfig();
        o.format = FileFormat::Gguf;
        o.scheme = scheme;
        o.seed = 7;
        auto w = writeGgufModel(o, path);
        QVERIFY2(w.has_value(), w.has_value() ? "" : w.error().message.c_str());
        auto src = openGgufModel(path);
        QVERIFY2(src.has_value(), src.has_value() ? "" : src.error().message.c_str());
        const WeightSource& s = **src;
        QCOMPARE(int(s.format()), int(ModelFormat::Gguf));

        const ModelConfig trunk = trunkOf(o.config);
        const auto specs = expectedTensors(trunk);
        QCOMPARE(s.names().size(), specs.size());  // nothing extra, MTP left out
        for (const auto& spec : specs) {
            const TensorView* v = s.find(spec.name);
            QVERIFY2(v, spec.name.c_str());
            QVERIFY2(v->shape == spec.shape, spec.name.c_str());
            if (spec.role == TensorRole::Tid2Eid) {
                QCOMPARE(int(v->dtype), int(DType::I32));
                std::vector<std::int64_t> ids(std::size_t(elementCount(spec.shape)));
                fillRandomTensor(trunk, spec, o.seed, reinterpret_cast<std::byte*>(ids.data()));
                for (std::size_t i = 0; i < ids.size(); ++i) {
                    std::int32_t got;
                    std::memcpy(&got, v->data + 4 * i, 4);
                    QCOMPARE(std::int64_t(got), ids[i]);
                }
                continue;
            }
            std::vector<float> want(std::size_t(elementCount(spec.shape)));
            fillRandomTensor(trunk, spec, o.seed, reinterpret_cast<std::byte*>(want.data()));
            const auto got = decodeAll(s, spec);
            const std::int64_t cols = spec.shape.back();
            for (std::size_t i = 0; i < want.size(); ++i) {
                const float* row = &want[i / std::size_t(cols) * std::size_t(cols)];
                const float tol = tolerance(v->dtype, spec.role, scheme, row, std::int64_t(i % std::size_t(cols)));
                if (!(std::fabs(got[i] - want[i]) <= tol))
                    QFAIL(qPrintable(QString("%1 [%2]: got %3, want %4 (%5, tol %6)")
                                         .arg(spec.name.c_str()).arg(i).arg(got[i]).arg(want[i])
                                         .arg(dtypeName(v->dtype).data()).arg(tol)));
            }
        }
    }

    void schemesUseTheConvertersTypes() {
        // Doc §4: the release converts to Q8_0 projections, MXFP4 experts, BF16 embeddings, router
        // and compressors, F32 norms / HC / sinks / ape / bias, I32 tid2eid.
        QCOMPARE(gguf::ggufTypeFor(TensorRole::LinearFp8, WeightScheme::FP8), gguf::GgmlType::Q8_0);
        QCOMPARE(gguf::ggufTypeFor(TensorRole::ExpertFp4, WeightScheme::FP8), gguf::GgmlType::MXFP4);
        QCOMPARE(gguf::ggufTypeFor(TensorRole::Embedding, WeightScheme::FP8), gguf::GgmlType::BF16);
        QCOMPARE(gguf::ggufTypeFor(TensorRole::LinearBf16, WeightScheme::FP8), gguf::GgmlType::BF16);
        for (auto role : {TensorRole::Norm, TensorRole::HcFn, TensorRole::HcBase, TensorRole::HcScale,
                          TensorRole::Sink, TensorRole::Ape, TensorRole::GateBias})
            for (auto scheme : {WeightScheme::F32, WeightScheme::BF16, WeightScheme::FP8})
                QCOMPARE(gguf::ggufTypeFor(role, scheme), gguf::GgmlType::F32);
        QCOMPARE(gguf::ggufTypeFor(TensorRole::Tid2Eid, WeightScheme::F32), gguf::GgmlType::I32);
    }

    void configRoundTrips() {
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "m.gguf";
        CreateModelOptions o;
        o.config = testing::microGgufConfig();
        o.scheme = WeightScheme::F32;
        QVERIFY(writeGgufModel(o, path).has_value());
        auto src = openGgufModel(path);
        QVERIFY(src.has_value());
        const ModelConfig& a = o.config;
        const ModelConfig& b = (*src)->config();
        QCOMPARE(b.name, a.name);
        QCOMPARE(b.vocabSize, a.vocabSize);
        QCOMPARE(b.dim, a.dim);
        QCOMPARE(b.nLayers, a.nLayers);
        QCOMPARE(b.nMtpLayers, 0);  // the trunk file holds no MTP block
        QVERIFY(b.compressRatios == trunkOf(a).compressRatios);
        QCOMPARE(b.nHeads, a.nHeads);
        QCOMPARE(b.headDim, a.headDim);
        QCOMPARE(b.ropeHeadDim, a.ropeHeadDim);
        QCOMPARE(b.qLoraRank, a.qLoraRank);
        QCOMPARE(b.oGroups, a.oGroups);
        QCOMPARE(b.oLoraRank, a.oLoraRank);
        QCOMPARE(b.windowSize, a.windowSize);
        QCOMPARE(b.indexNHeads, a.indexNHeads);
        QCOMPARE(b.indexHeadDim, a.indexHeadDim);
        QCOMPARE(b.indexTopk, a.indexTopk);
        QCOMPARE(b.nRoutedExperts, a.nRoutedExperts);
        QCOMPARE(b.nSharedExperts, a.nSharedExperts);
        QCOMPARE(b.nActivatedExperts, a.nActivatedExperts);
        QCOMPARE(b.moeInterDim, a.moeInterDim);
        QCOMPARE(b.nHashLayers, a.nHashLayers);
        QCOMPARE(b.routeScale, a.routeScale);
        QCOMPARE(b.swigluLimit, a.swigluLimit);
        QCOMPARE(b.hcMult, a.hcMult);
        QCOMPARE(b.hcSinkhornIters, a.hcSinkhornIters);
        QCOMPARE(b.hcEps, a.hcEps);
        QCOMPARE(b.normEps, a.normEps);
        QCOMPARE(b.ropeTheta, a.ropeTheta);
        QCOMPARE(b.compressRopeTheta, a.compressRopeTheta);
        QCOMPARE(b.yarnFactor, a.yarnFactor);
        QCOMPARE(b.yarnOriginalSeqLen, a.yarnOriginalSeqLen);
        QCOMPARE(b.maxPositionEmbeddings, a.maxPositionEmbeddings);
        QCOMPARE(b.bosTokenId, a.bosTokenId);
        QCOMPARE(b.eosTokenId, a.eosTokenId);
    }

    void metadataHasLlamaCppsKeysAndTypes() {
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "m.gguf";
        CreateModelOptions o;
        o.config = testing::microGgufConfig();
        QVERIFY(writeGgufModel(o, path).has_value());
        auto map = gguf::MappedGguf::open(path);
        QVERIFY(map.has_value());
        const auto& f = (*map)->file();
        using VT = gguf::ValueType;
        auto typeOf = [&](const char* k) { const auto* v = f.find(k); return v ? int(v->type) : -1; };
        QCOMPARE(std::get<std::string>(f.find("general.architecture")->scalar), std::string("deepseek4"));
        for (const char* k : {"deepseek4.context_length", "deepseek4.embedding_length", "deepseek4.block_count",
                              "deepseek4.attention.head_count_kv", "deepseek4.attention.q_lora_rank",
                              "deepseek4.hyper_connection.count", "deepseek4.expert_gating_func",
                              "deepseek4.hash_layer_count", "tokenizer.ggml.bos_token_id"})
            QVERIFY2(typeOf(k) == int(VT::U32), k);
        for (const char* k : {"deepseek4.attention.layer_norm_rms_epsilon", "deepseek4.expert_weights_scale",
                              "deepseek4.attention.compress_rope_freq_base", "deepseek4.hyper_connection.epsilon"})
            QVERIFY2(typeOf(k) == int(VT::F32), k);
        QCOMPARE(typeOf("deepseek4.expert_weights_norm"), int(VT::Bool));
        QCOMPARE(typeOf("tokenizer.ggml.add_bos_token"), int(VT::Bool));
        QVERIFY(!f.find("deepseek4.expert_group_count"));
        // block_count = L (trunk only) while compress_ratios keeps the MTP entry.
        QCOMPARE(std::get<std::uint64_t>(f.find("deepseek4.block_count")->scalar), std::uint64_t(4));
        QCOMPARE(f.find("deepseek4.attention.compress_ratios")->count, std::uint64_t(5));
        QCOMPARE(f.find("deepseek4.swiglu_clamp_exp")->count, std::uint64_t(4));
        QCOMPARE(std::get<std::string>(f.find("tokenizer.ggml.pre")->scalar), std::string("deepseek-v3"));
        // Doc §3: the hash layer has tid2eid and no bias; stacked experts are {in, out, E}.
        QVERIFY(f.findTensor("blk.0.ffn_gate_tid2eid.weight"));
        QVERIFY(!f.findTensor("blk.0.exp_probs_b.bias"));
        QVERIFY(f.findTensor("blk.1.exp_probs_b.bias"));
        QVERIFY((f.findTensor("blk.1.ffn_down_exps.weight")->ne == std::vector<std::int64_t>{32, 64, 4}));
        QVERIFY((f.findTensor("blk.1.ffn_gate_exps.weight")->ne == std::vector<std::int64_t>{64, 32, 4}));
        QVERIFY((f.findTensor("token_embd.weight")->ne == std::vector<std::int64_t>{64, 512}));
        QVERIFY((f.findTensor("output_hc_fn.weight")->ne == std::vector<std::int64_t>{256, 4}));
        for (const auto& t : f.tensors) QCOMPARE(t.dataOffset % 32, std::uint64_t(0));
    }

    void tinyPresetHasTheDocumentedTensorCount() {
        // Doc §3.4: 126 tensors for the tiny trunk, 154 with its MTP block.
        const auto tiny = *presetConfig("tiny");
        QCOMPARE(gguf::tensorPlan(trunkOf(tiny)).size(), std::size_t(126));
        QCOMPARE(gguf::tensorPlan(tiny).size(), std::size_t(154));
    }

    void expertsAreZeroCopySlicesOfTheStack() {
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "m.gguf";
        CreateModelOptions o;
        o.config = testing::microGgufConfig();
        o.scheme = WeightScheme::FP8;
        QVERIFY(writeGgufModel(o, path).has_value());
        auto src = openGgufModel(path);
        QVERIFY(src.has_value());
        const TensorView* e0 = (*src)->find("layers.2.ffn.experts.0.w2.weight");
        const TensorView* e3 = (*src)->find("layers.2.ffn.experts.3.w2.weight");
        QVERIFY(e0 && e3);
        QCOMPARE(int(e0->dtype), int(DType::MXFP4));
        QCOMPARE(e0->nbytes, std::size_t(64 * 32 / 32 * 17));
        QCOMPARE(e3->data, e0->data + 3 * e0->nbytes);
        QCOMPARE(e3->fileOffset, e0->fileOffset + 3 * e0->nbytes);
    }

    void sameSeedGivesTheSameBytes() {
        QTemporaryDir dir;
        const std::filesystem::path root = dir.path().toStdString();
        CreateModelOptions o;
        o.config = testing::microGgufConfig();
        o.scheme = WeightScheme::FP8;
        o.seed = 3;
        QVERIFY(writeGgufModel(o, root / "a.gguf").has_value());
        QVERIFY(writeGgufModel(o, root / "b.gguf").has_value());
        o.seed = 4;
        QVERIFY(writeGgufModel(o, root / "c.gguf").has_value());
        QVERIFY(readAll(root / "a.gguf") == readAll(root / "b.gguf"));
        QVERIFY(readAll(root / "a.gguf") != readAll(root / "c.gguf"));
        QVERIFY(std::distance(std::filesystem::directory_iterator(root), {}) == 3);  // no temporaries left
    }

    void vocabularyRoundTrips() {
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "m.gguf";
        CreateModelOptions o;
        o.config = testing::microGgufConfig();
        QVERIFY(writeGgufModel(o, path).has_value());
        auto v = readGgufVocabulary(path);
        QVERIFY(v.has_value());
        const Vocabulary want = builtinVocabulary(o.config.vocabSize);
        QVERIFY(v->tokens == want.tokens);
        QVERIFY(v->types == want.types);
        QVERIFY(v->merges == want.merges);
        QCOMPARE(v->bosId, want.bosId);
        QCOMPARE(v->eosId, want.eosId);
        QCOMPARE(v->padId, want.padId);
        QCOMPARE(v->preTokenizer, std::string("deepseek-v3"));
    }

    void mtpBlocksAndReshapedWoAReadBack() {
        // A file as llama.cpp's loader also accepts it: trunk plus one `blk.{L}.nextn.*` block,
        // and blk.0's attn_output_a stored 3-D {H·c/g, d_g, g}. Built here from the doc's
        // layout (independently of the writer), all F32.
        const ModelConfig c = testing::microGgufConfig();
        const std::uint64_t seed = 11;
        gguf::GgufBuilder b;
        gguf::writeConfig(c, 1, b);
        gguf::writeVocabulary(builtinVocabulary(c.vocabSize), b);
        auto values = [&](const TensorSpec& spec) {
            std::vector<float> v(std::size_t(elementCount(spec.shape)));
            fillRandomTensor(c, spec, seed, reinterpret_cast<std::byte*>(v.data()));
            return v;
        };
        for (const auto& p : gguf::tensorPlan(c)) {
            std::vector<std::int64_t> ne = p.ne;
            if (p.ggufName == "blk.0.attn_output_a.weight") ne = {ne[0], c.oLoraRank, c.oGroups};
            if (p.role == TensorRole::Tid2Eid) {
                b.addTensor(p.ggufName, gguf::GgmlType::I32, ne, [&, spec = p.parts[0]](std::byte* o, std::size_t) {
                    std::vector<std::int64_t> ids(std::size_t(elementCount(spec.shape)));
                    fillRandomTensor(c, spec, seed, reinterpret_cast<std::byte*>(ids.data()));
                    for (std::size_t i = 0; i < ids.size(); ++i) {
                        const auto v = std::int32_t(ids[i]);
                        std::memcpy(o + 4 * i, &v, 4);
                    }
                });
                continue;
            }
            b.addTensor(p.ggufName, gguf::GgmlType::F32, ne, [&, p](std::byte* o, std::size_t) {
                auto* f = reinterpret_cast<float*>(o);
                if (p.layout == gguf::PlanLayout::ConcatInput) {
                    const auto e = values(p.parts[0]), h = values(p.parts[1]);
                    const std::int64_t d = c.dim;
                    for (std::int64_t r = 0; r < d; ++r)
                        for (std::int64_t i = 0; i < d; ++i) {
                            f[r * 2 * d + i] = e[std::size_t(r * d + i)];
                            f[r * 2 * d + d + i] = h[std::size_t(r * d + i)];
                        }
                    return;
                }
                for (const auto& part : p.parts) {
                    const auto v = values(part);
                    f = std::copy(v.begin(), v.end(), f);
                }
            });
        }
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "mtp.gguf";
        QVERIFY(b.writeFile(path).has_value());
        auto src = openGgufModel(path);
        QVERIFY2(src.has_value(), src.has_value() ? "" : src.error().message.c_str());
        const WeightSource& s = **src;
        QCOMPARE(s.config().nMtpLayers, 1);
        QCOMPARE(s.config().nLayers, c.nLayers);
        QVERIFY(s.config().compressRatios == c.compressRatios);
        QVERIFY(!s.find("mtp.0.e_proj.weight"));
        const TensorView* eh = s.find(gguf::fusedMtpProjectionName(0));
        QVERIFY(eh);
        QVERIFY((eh->shape == std::vector<std::int64_t>{c.dim, 2 * c.dim}));
        const auto specs = expectedTensors(c);
        auto specOf = [&](const std::string& n) { return *std::find_if(specs.begin(), specs.end(), [&](auto& t) { return t.name == n; }); };
        const auto e = values(specOf("mtp.0.e_proj.weight")), h = values(specOf("mtp.0.h_proj.weight"));
        auto m = bindMatrix(s, gguf::fusedMtpProjectionName(0), c.dim, 2 * c.dim);
        QVERIFY(m.has_value());
        std::vector<float> row(std::size_t(2 * c.dim));
        decodeRow(*m, 5, row.data());
        for (std::int64_t i = 0; i < c.dim; ++i) {
            QCOMPARE(row[std::size_t(i)], e[std::size_t(5 * c.dim + i)]);
            QCOMPARE(row[std::size_t(c.dim + i)], h[std::size_t(5 * c.dim + i)]);
        }
        for (const char* n : {"mtp.0.norm.weight", "mtp.0.enorm.weight", "mtp.0.ffn.experts.3.w2.weight",
                              "mtp.0.ffn.gate.bias", "layers.0.attn.wo_a.weight"}) {
            const TensorSpec spec = specOf(n);
            QVERIFY2(s.find(n), n);
            QVERIFY2(decodeAll(s, spec) == values(spec), n);
        }
    }

    void tokenizerJsonDecidesTheVocabulary() {
        // Doc §2.2: added tokens that look special are control, other added tokens user-defined,
        // holes unused "[PAD{i}]"; merges in both JSON forms; V follows the tokenizer.
        nlohmann::json vocab = nlohmann::json::object();
        for (int i = 0; i < 600; ++i)
            if (i != 5 && i != 6 && i != 7 && i != 9) vocab["t" + std::to_string(i)] = i;
        nlohmann::json j;
        j["model"] = {{"type", "BPE"}, {"vocab", vocab},
                      {"merges", nlohmann::json::array({"t1 t2", nlohmann::json::array({"t3", "t4"})})}};
        j["added_tokens"] = nlohmann::json::array({
            {{"id", 5}, {"content", "<｜begin▁of▁sentence｜>"}, {"special", true}},
            {{"id", 6}, {"content", "<｜end▁of▁sentence｜>"}, {"special", true}},
            {{"id", 9}, {"content", "<|fim|>"}, {"special", false}},
            {{"id", 600}, {"content", "hello"}, {"special", false}},
        });
        QTemporaryDir dir;
        const std::filesystem::path root = dir.path().toStdString();
        std::ofstream(root / "tokenizer.json") << j.dump();
        CreateModelOptions o;
        o.config = testing::microGgufConfig();
        o.scheme = WeightScheme::BF16;
        o.tokenizerJson = root / "tokenizer.json";
        auto w = writeGgufModel(o, root / "m.gguf");
        QVERIFY2(w.has_value(), w.has_value() ? "" : w.error().message.c_str());
        auto src = openGgufModel(root / "m.gguf");
        QVERIFY(src.has_value());
        QCOMPARE((*src)->config().vocabSize, std::int64_t(601));
        QCOMPARE((*src)->config().bosTokenId, std::int64_t(5));
        QCOMPARE((*src)->config().eosTokenId, std::int64_t(6));
        QVERIFY(((*src)->find("embed.weight")->shape == std::vector<std::int64_t>{601, 64}));
        auto v = readGgufVocabulary(root / "m.gguf");
        QVERIFY(v.has_value());
        QCOMPARE(v->tokens.size(), std::size_t(601));
        QCOMPARE(v->tokens[4], std::string("t4"));
        QCOMPARE(v->tokens[7], std::string("[PAD7]"));
        QCOMPARE(int(v->types[7]), int(TokenType::Unused));
        QCOMPARE(int(v->types[5]), int(TokenType::Control));
        QCOMPARE(int(v->types[9]), int(TokenType::Control));
        QCOMPARE(int(v->types[600]), int(TokenType::UserDefined));
        QCOMPARE(int(v->types[8]), int(TokenType::Normal));
        QVERIFY((v->merges == std::vector<std::string>{"t1 t2", "t3 t4"}));
        QCOMPARE(v->bosId, std::int64_t(5));

        std::ofstream(root / "bad.json") << "{\"model\": {\"vocab\": ";
        o.tokenizerJson = root / "bad.json";
        auto bad = writeGgufModel(o, root / "n.gguf");
        QVERIFY(!bad.has_value());
        QVERIFY(bad.error().message.find("bad.json") != std::string::npos);
        QVERIFY(bad.error().message.find("byte") != std::string::npos);
    }

    void writerRefusesWhatLlamaCppCannotStore() {
        QTemporaryDir dir;
        const std::filesystem::path root = dir.path().toStdString();
        CreateModelOptions o;
        o.config = testing::microGgufConfig();
        o.config.moeInterDim = 48;  // expert and shared-expert rows of 48: not a Q8_0/MXFP4 multiple
        o.scheme = WeightScheme::FP8;
        auto r = writeGgufModel(o, root / "x.gguf");
        QVERIFY(!r.has_value());
        QVERIFY(r.error().message.find("not a multiple of 32") != std::string::npos);
        o.scheme = WeightScheme::BF16;  // plain types have no block constraint
        QVERIFY(writeGgufModel(o, root / "y.gguf").has_value());
        o.config.vocabSize = 300;
        QVERIFY(!writeGgufModel(o, root / "z.gguf").has_value());
        QVERIFY(!std::filesystem::exists(root / "x.gguf"));
        QVERIFY(!std::filesystem::exists(root / "z.gguf"));
    }

    void mxfp4UsesGgmlNibbleOrder() {
        // 32 values exactly representable as E2M1 x 2^-1: codes 0..15 then 15..0. ggml puts
        // element j in the low nibble of byte j and element j+16 in the high nibble.
        std::vector<float> x(32);
        for (int j = 0; j < 32; ++j) x[std::size_t(j)] = e2m1ToF32(std::uint8_t(j < 16 ? j : 31 - j)) * 0.5f;
        std::vector<std::byte> blk(17);
        gguf::quantizeRowMxfp4(x.data(), 32, blk.data());
        QCOMPARE(e8m0ToF32(std::uint8_t(blk[0])), 0.5f);
        for (int j = 0; j < 16; ++j) {
            QCOMPARE(int(std::uint8_t(blk[std::size_t(1 + j)]) & 15), j);
            QCOMPARE(int(std::uint8_t(blk[std::size_t(1 + j)]) >> 4), 15 - j);
        }
        OwnedWeights w(testing::microGgufConfig());
        w.add("m.weight", DType::MXFP4, {1, 32}, blk);
        auto m = bindMatrix(w, "m.weight", 1, 32);
        QVERIFY(m.has_value());
        std::vector<float> y(32);
        decodeRow(*m, 0, y.data());
        for (int j = 0; j < 32; ++j) QCOMPARE(y[std::size_t(j)], x[std::size_t(j)]);
    }

    void q8_0IsExactOnItsGrid() {
        // Values k * d with d = 2^-6 and amax = 127 d land exactly on the Q8_0 grid.
        std::vector<float> x(64);
        for (int j = 0; j < 64; ++j) x[std::size_t(j)] = float((j * 37) % 255 - 127) * 0x1p-6f;
        x[0] = 127 * 0x1p-6f;
        x[32] = -127 * 0x1p-6f;
        std::vector<std::byte> q(68);
        gguf::quantizeRowQ8_0(x.data(), 64, q.data());
        OwnedWeights w(testing::microGgufConfig());
        w.add("m.weight", DType::Q8_0, {1, 64}, q);
        auto m = bindMatrix(w, "m.weight", 1, 64);
        QVERIFY(m.has_value());
        std::vector<float> y(64);
        decodeRow(*m, 0, y.data());
        for (int j = 0; j < 64; ++j) QCOMPARE(y[std::size_t(j)], x[std::size_t(j)]);
    }
};

QTEST_APPLESS_MAIN(TestGguf)
#include "test_gguf.moc"
