// `atelier-cli model create` and `atelier-cli model info` (CLI.md, Models).

#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "atelier/engine/model_files.h"
#include "cli/cli_context.h"

namespace atelier::cli {
namespace {

using engine::ModelConfig;

struct CreateArgs {
    std::string preset;
    std::string out;
    std::string format = "hf";
    std::uint64_t seed = 0;
    std::string weights = "bf16";
    std::string tokenizer;
};

int runCreate(CliContext& ctx, const CreateArgs& a) {
    auto config = engine::presetConfig(a.preset);
    if (!config) return ctx.fail(config.error());
    engine::CreateModelOptions o;
    o.config = *config;
    o.format = a.format == "gguf" ? engine::FileFormat::Gguf : engine::FileFormat::HuggingFace;
    o.scheme = a.weights == "f32"   ? engine::WeightScheme::F32
               : a.weights == "fp8" ? engine::WeightScheme::FP8
                                    : engine::WeightScheme::BF16;
    static const std::map<std::string, engine::GgufQuant> quants = {
        {"q8_0", engine::GgufQuant::Q8_0}, {"q4_k", engine::GgufQuant::Q4_K}, {"q5_k", engine::GgufQuant::Q5_K},
        {"q6_k", engine::GgufQuant::Q6_K},
        {"q2_k", engine::GgufQuant::Q2_K}, {"mxfp4", engine::GgufQuant::Mxfp4}};
    if (auto q = quants.find(a.weights); q != quants.end()) {
        if (o.format != engine::FileFormat::Gguf)
            return ctx.fail(Error::usage("--weights " + a.weights + " needs --format gguf"));
        o.ggufQuant = q->second;
    }
    o.seed = a.seed;
    o.tokenizerJson = a.tokenizer;
    if (auto r = engine::createModel(o, a.out); !r) return ctx.fail(r.error());
    std::cerr << "wrote " << a.out << "\n";
    return kExitOk;
}

std::string layerPattern(const ModelConfig& c) {
    std::string out;
    for (int l = 0; l < c.nLayers + c.nMtpLayers; ++l) {
        if (l == c.nLayers) out += " | MTP:";
        if (!out.empty()) out += ' ';
        switch (c.attentionKind(l)) {
        case engine::AttentionKind::SlidingWindow: out += "SWA"; break;
        case engine::AttentionKind::Csa: out += "CSA"; break;
        case engine::AttentionKind::Hca: out += "HCA"; break;
        }
    }
    return out;
}

// Bytes the weights take in memory: the tensors as stored, or, for a folder with only a
// config, what the release scheme (FP8 + FP4 experts) would take.
std::pair<std::uint64_t, bool> loadBytes(const engine::WeightSource& src) {
    std::uint64_t bytes = 0;
    for (const auto& n : src.names()) bytes += src.find(n)->nbytes;
    if (bytes > 0) return {bytes, false};
    for (const auto& spec : engine::expectedTensors(src.config())) {
        const auto scheme = engine::WeightScheme::FP8;
        const auto dt = engine::storedDType(spec.role, scheme);
        bytes += engine::dtypeRowBytes(dt, engine::elementCount(engine::storedShape(spec, scheme)));
        if (engine::hasScaleCompanion(spec.role, scheme))
            bytes += std::uint64_t(engine::elementCount(engine::scaleShape(spec)));
    }
    return {bytes, true};
}

// Bytes of the files the tensors live in (the shards, or the .gguf file).
std::uint64_t fileBytes(const engine::WeightSource& src) {
    std::set<std::string> files;
    for (const auto& n : src.names()) files.insert(src.find(n)->file);
    std::uint64_t bytes = 0;
    for (const auto& f : files) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(f, ec);
        if (!ec) bytes += size;
    }
    return bytes;
}

nlohmann::ordered_json describe(const engine::WeightSource& src) {
    const ModelConfig& c = src.config();
    const auto sizes = engine::computeSizes(c);
    std::map<std::string, std::int64_t> dtypes;
    for (const auto& n : src.names()) ++dtypes[std::string(engine::dtypeName(src.find(n)->dtype))];
    const auto [bytes, estimated] = loadBytes(src);
    nlohmann::ordered_json j;
    j["path"] = src.origin();
    j["format"] = src.format() == engine::ModelFormat::Gguf ? "gguf" : "hf";
    j["architecture"] = "deepseek_v4";
    j["name"] = c.name;
    j["params_total"] = sizes.paramsTotal;
    j["params_active"] = sizes.paramsActive;
    j["params_mtp"] = sizes.paramsMtp;
    j["layers"] = c.nLayers;
    j["mtp_layers"] = c.nMtpLayers;
    j["layer_pattern"] = layerPattern(c);
    j["hidden_size"] = c.dim;
    j["heads"] = c.nHeads;
    j["head_dim"] = c.headDim;
    j["vocab_size"] = c.vocabSize;
    j["experts"] = c.nRoutedExperts;
    j["experts_active"] = c.nActivatedExperts;
    j["shared_experts"] = c.nSharedExperts;
    j["hash_layers"] = c.nHashLayers;
    j["window"] = c.windowSize;
    j["max_context"] = c.maxPositionEmbeddings;
    j["kv_bytes_per_token"] = sizes.kvBytesPerToken;
    j["state_bytes_per_sequence"] = sizes.stateBytesPerSequence;
    j["tensors"] = src.names().size();
    j["dtypes"] = dtypes;
    j["load_bytes"] = bytes;
    j["load_bytes_estimated"] = estimated;
    j["file_bytes"] = fileBytes(src);
    return j;
}

std::string humanCount(double n) {
    std::ostringstream s;
    s.precision(3);
    if (n >= 1e12) s << n / 1e12 << "T";
    else if (n >= 1e9) s << n / 1e9 << "B";
    else if (n >= 1e6) s << n / 1e6 << "M";
    else s << n;
    return s.str();
}

void printText(const nlohmann::ordered_json& j) {
    for (const auto& [key, value] : j.items()) {
        std::cout << key << ": ";
        if (key.rfind("params_", 0) == 0)
            std::cout << value.get<std::int64_t>() << " (" << humanCount(value.get<double>()) << ")";
        else if (value.is_string())
            std::cout << value.get<std::string>();
        else
            std::cout << value.dump();
        std::cout << "\n";
    }
}

int runInfo(CliContext& ctx, const std::string& path) {
    auto src = engine::openModel(path);
    if (!src) return ctx.fail(src.error());
    const auto j = describe(**src);
    if (ctx.options.json)
        std::cout << j.dump() << std::endl;
    else
        printText(j);
    return kExitOk;
}

void setup(CLI::App& root, CliContext& ctx) {
    auto* model = root.add_subcommand("model", "Create or describe model files");
    model->require_subcommand(1);
    model->fallthrough();

    static CreateArgs create;
    auto* c = model->add_subcommand("create", "Write a model with seeded random weights");
    c->fallthrough();
    c->add_option("--preset", create.preset, "tiny, small or bench")
        ->required()
        ->check(CLI::IsMember({"tiny", "small", "bench"}));
    c->add_option("--out", create.out, "Folder (hf) or file (gguf) to write")->required();
    c->add_option("--format", create.format, "hf (default) or gguf")
        ->check(CLI::IsMember({"hf", "gguf"}));
    c->add_option("--seed", create.seed, "Random seed (default 0)");
    c->add_option("--weights", create.weights,
                  "bf16 (default), f32, fp8 (the release scheme), or with --format gguf one of "
                  "llama-quantize's types q8_0, q4_k, q5_k, q6_k, q2_k, mxfp4")
        ->check(CLI::IsMember({"bf16", "f32", "fp8", "q8_0", "q4_k", "q5_k", "q6_k", "q2_k", "mxfp4"}));
    c->add_option("--tokenizer", create.tokenizer,
                  "tokenizer.json to ship instead of the built-in vocabulary");
    onRun(c, ctx, [&ctx] { return runCreate(ctx, create); });

    static std::string infoPath;
    auto* info = model->add_subcommand("info", "Describe a model folder, config.json or .gguf file");
    info->fallthrough();
    info->add_option("path", infoPath, "Model folder, its config.json, or a .gguf file")->required();
    addJsonFlag(info, ctx);
    onRun(info, ctx, [&ctx] { return runInfo(ctx, infoPath); });
}

}  // namespace
ATELIER_CLI_COMMAND("model", setup);
}  // namespace atelier::cli
