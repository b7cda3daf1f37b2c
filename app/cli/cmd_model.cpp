// `atelier-cli model create` and `atelier-cli model info` (CLI.md, Models).

#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "atelier/engine/model_files.h"
#include "atelier/engine/model_footprint.h"
#include "cli/cli_context.h"
#include "cli/model_plan.h"

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
    int layers = 0;  // 0: the preset's
};

std::string gigabytes(std::uint64_t bytes) { return fmt::format("{:.2f} GB", double(bytes) / 1e9); }

// Refuses before writing when the folder `out` goes to has less free space than the model.
Result<void> checkFreeSpace(const std::filesystem::path& out, std::uint64_t bytes) {
    std::filesystem::path dir = std::filesystem::absolute(out).parent_path();
    struct statvfs fs {};
    if (::statvfs(dir.c_str(), &fs) != 0)
        return unexpected(Error::io(dir.string() + ": cannot read the free space: " + std::strerror(errno)));
    const std::uint64_t free = std::uint64_t(fs.f_bavail) * std::uint64_t(fs.f_frsize);
    if (bytes > free)
        return unexpected(Error::io("not enough disk space for " + out.string() + ": it needs " + gigabytes(bytes) +
                                    " and " + dir.string() + " has " + gigabytes(free) + " free"));
    return {};
}

int runCreate(CliContext& ctx, const CreateArgs& a) {
    auto config = engine::presetConfig(a.preset);
    if (!config) return ctx.fail(config.error());
    if (a.layers > 0)
        if (auto r = engine::setLayerCount(*config, a.layers); !r) return ctx.fail(r.error());
    engine::CreateModelOptions o;
    o.config = *config;
    o.format = a.format == "gguf" ? engine::FileFormat::Gguf : engine::FileFormat::HuggingFace;
    o.scheme = a.weights == "f32"   ? engine::WeightScheme::F32
               : a.weights == "fp8" ? engine::WeightScheme::FP8
                                    : engine::WeightScheme::BF16;
    if (const auto q = engine::ggufQuantFromName(a.weights); q != engine::GgufQuant::None) {
        if (o.format != engine::FileFormat::Gguf)
            return ctx.fail(Error::usage("--weights " + a.weights + " needs --format gguf"));
        o.ggufQuant = q;
    }
    o.seed = a.seed;
    o.tokenizerJson = a.tokenizer;
    if (std::error_code ec; std::filesystem::exists(a.out, ec) &&
                            !(std::filesystem::is_directory(a.out, ec) && std::filesystem::is_empty(a.out, ec)))
        return ctx.fail(Error::usage(a.out + " already exists; choose a new --out path"));
    auto bytes = engine::estimateModelBytes(o, a.out);
    if (!bytes) return ctx.fail(bytes.error());
    if (auto r = checkFreeSpace(a.out, *bytes); !r) return ctx.fail(r.error());
    std::cerr << "writing " << a.out << ": " << *bytes << " bytes (" << gigabytes(*bytes) << ")\n";
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

nlohmann::ordered_json describe(const engine::WeightSource& src, std::int64_t context) {
    const ModelConfig& c = src.config();
    const auto sizes = engine::computeSizes(c);
    const engine::ModelFootprint fp = engine::modelFootprint(src);
    std::map<std::string, std::int64_t> dtypes;
    nlohmann::ordered_json types = nlohmann::ordered_json::object();
    for (const auto& [name, t] : fp.types) {
        dtypes[name] = t.tensors;
        types[name] = {{"count", t.tensors}, {"bytes", t.bytes}};
    }
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
    j["tensor_types"] = types;
    j["bits_per_weight"] = fp.bitsPerWeight;
    j["weights_missing"] = fp.weightsMissing;
    if (fp.weightsMissing) j["weights_bytes_estimated"] = fp.weightsBytesEstimated;
    j["load_bytes"] = fp.weightBytesForLoad();
    j["load_bytes_estimated"] = fp.weightsMissing;
    j["file_bytes"] = fileBytes(src);
    j["file_parts"] = fp.parts;
    j["skipped_tensors"] = fp.skippedTensors;
    // The memory a load needs at `context` tokens, and whether this machine has it free now.
    const std::uint64_t needed = fp.neededBytes(context);
    const std::uint64_t available = engine::availableMemoryBytes();
    j["context"] = context;
    j["memory_needed_bytes"] = needed;
    j["memory_available_bytes"] = available;
    j["fits"] = !fp.weightsMissing && available > 0 && needed <= available;
    if (fp.weightsMissing)
        j["fit_note"] = "weights missing: about " + std::to_string(fp.weightsBytesEstimated / 1000000000) +
                        " GB of weights expected";
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

int runInfo(CliContext& ctx, const std::string& path, std::int64_t context) {
    auto src = engine::openModel(path);
    if (!src) return ctx.fail(src.error());
    const auto j = describe(**src, context);
    if (ctx.options.json)
        std::cout << j.dump() << std::endl;
    else
        printText(j);
    return kExitOk;
}

struct SplitArgs {
    std::string in;
    int parts = 2;
    std::string outPrefix;
};

int runSplit(CliContext& ctx, const SplitArgs& a) {
    std::filesystem::path prefix = a.outPrefix;
    if (prefix.empty()) prefix = std::filesystem::path(a.in).replace_extension();
    auto written = engine::splitGgufFile(a.in, prefix, a.parts);
    if (!written) return ctx.fail(written.error());
    for (const auto& p : *written) std::cerr << "wrote " << p.string() << "\n";
    return kExitOk;
}

void setupModel(CLI::App& root, CliContext& ctx) {
    auto* model = root.add_subcommand("model", "Create or describe model files");
    model->require_subcommand(1);
    model->fallthrough();

    static CreateArgs create;
    auto* c = model->add_subcommand("create", "Write a model with seeded random weights");
    c->fallthrough();
    c->add_option("--preset", create.preset, "tiny, small, bench or flash-slice (V4-Flash's real widths)")
        ->required()
        ->check(CLI::IsMember(engine::presetNames()));
    c->add_option("--layers", create.layers, "Main blocks (default: the preset's; flash-slice: 4)")
        ->check(CLI::Range(1, 512));
    c->add_option("--out", create.out, "Folder (hf) or file (gguf) to write")->required();
    c->add_option("--format", create.format, "hf (default) or gguf")
        ->check(CLI::IsMember({"hf", "gguf"}));
    c->add_option("--seed", create.seed, "Random seed (default 0)");
    static const std::vector<std::string> weightNames = [] {
        std::vector<std::string> names = {"bf16", "f32", "fp8"};
        for (const auto& r : engine::ggufQuantRecipes()) names.push_back(r.name);
        return names;
    }();
    std::string quantList;
    for (std::size_t i = 3; i < weightNames.size(); ++i) quantList += (i > 3 ? ", " : "") + weightNames[i];
    c->add_option("--weights", create.weights,
                  "bf16 (default), f32, fp8 (the release scheme), or with --format gguf a ggml type "
                  "or llama-quantize-style mix: " + quantList)
        ->check(CLI::IsMember(weightNames));
    c->add_option("--tokenizer", create.tokenizer,
                  "tokenizer.json to ship instead of the built-in vocabulary");
    onRun(c, ctx, [&ctx] { return runCreate(ctx, create); });

    static std::string infoPath;
    static std::int64_t infoContext = 32768;
    auto* info = model->add_subcommand("info", "Describe a model folder, config.json or .gguf file");
    info->fallthrough();
    info->add_option("path", infoPath, "Model folder, its config.json, or a .gguf file (any part of a split one)")
        ->required();
    info->add_option("--context", infoContext, "Context length the memory estimate assumes (default 32768)")
        ->check(CLI::Range(std::int64_t(1), std::int64_t(1) << 24));
    addJsonFlag(info, ctx);
    onRun(info, ctx, [&ctx] { return runInfo(ctx, infoPath, infoContext); });

    addModelPlan(model, ctx);

    static SplitArgs split;
    auto* sp = model->add_subcommand("split", "Write a GGUF file as NAME-00001-of-0000N.gguf parts");
    sp->fallthrough();
    sp->add_option("path", split.in, "The .gguf file to split")->required();
    sp->add_option("--parts", split.parts, "Number of parts (default 2)")->check(CLI::Range(1, 99999));
    sp->add_option("--out", split.outPrefix, "Path prefix of the parts (default: the file without .gguf)");
    onRun(sp, ctx, [&ctx] { return runSplit(ctx, split); });
}

}  // namespace
ATELIER_CLI_COMMAND("model", setupModel);
}  // namespace atelier::cli
